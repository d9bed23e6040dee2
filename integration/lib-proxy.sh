# Sourced helpers to run a real ArticDBM proxy for integration tests: free ports, a test CA and
# server certificate (openssl), users with generated passwords (verifiers only in the config),
# start/stop with readiness checks. Expects ARTICDBM_BIN.

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# make_tls DIR: a CA and a server certificate for localhost / 127.0.0.1 signed by it.
make_tls() {
  local d=$1
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=ArticDBM test CA" \
    -keyout "$d/ca.key" -out "$d/ca.pem" >/dev/null 2>&1
  openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
    -keyout "$d/server.key" -out "$d/server.csr" >/dev/null 2>&1
  printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n' >"$d/ext.cnf"
  openssl x509 -req -in "$d/server.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial \
    -days 2 -extfile "$d/ext.cnf" -out "$d/server.pem" >/dev/null 2>&1
}

random_password() {
  python3 -c 'import secrets; print(secrets.token_urlsafe(18))'
}

# write_config FILE PORT MODE TLSDIR APP_VERIFIER MD5_VERIFIER
write_config() {
  cat >"$1" <<CONF
[proxy]
pg_listen = "127.0.0.1:$2"
shutdown_grace_secs = 10
max_client_connections = 20000

[tls]
mode = "optional"
cert = "$4/server.pem"
key = "$4/server.key"

[pool]
mode = "$3"
size = 10
checkout_timeout_secs = 20

[users.app]
password = "$5"

[users.app_md5]
password = "$6"

[admin]
users = ["app"]

[databases."*"]
host = "127.0.0.1"
port = 5432
user = "postgres"
CONF
}

# start_proxy CONFIG PORT LOG: starts the proxy in the background; sets PROXY_PID.
start_proxy() {
  # Many idle clients need many descriptors: raise the soft limit to the hard one.
  (ulimit -n "$(ulimit -Hn)" 2>/dev/null
   ARTICDBM_LOGGING__LEVEL="${ARTICDBM_LOGGING__LEVEL:-info}" exec "$ARTICDBM_BIN" proxy --config "$1") >"$3" 2>&1 &
  PROXY_PID=$!
  for _ in $(seq 1 100); do
    if pg_isready -q -h 127.0.0.1 -p "$2"; then return 0; fi
    if ! kill -0 "$PROXY_PID" 2>/dev/null; then break; fi
    sleep 0.1
  done
  echo "proxy did not start; log:" >&2
  cat "$3" >&2
  return 1
}

# stop_proxy: SIGTERM, expect a clean exit within the grace period.
stop_proxy() {
  kill -TERM "$PROXY_PID" 2>/dev/null || return 0
  for _ in $(seq 1 150); do
    if ! kill -0 "$PROXY_PID" 2>/dev/null; then
      wait "$PROXY_PID"
      return $?
    fi
    sleep 0.1
  done
  echo "proxy did not stop within 15 s" >&2
  kill -KILL "$PROXY_PID" 2>/dev/null
  return 1
}
