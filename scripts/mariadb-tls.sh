#!/usr/bin/env bash
# A separate small MariaDB with TLS for tests (the system server on 3306 has have_ssl=DISABLED but is
# built with OpenSSL): a throwaway CA + server certificate (CN/SAN localhost, 127.0.0.1) and a mariadbd
# on 127.0.0.1:$PORT with its own datadir; user `articdbm_tls`@'%' (password generated, in $STATE/password,
# 0600) must use TLS (REQUIRE SSL) and owns `articdbm\_%`.* ; database `articdbm_tls` exists.
#
#   scripts/mariadb-tls.sh start | stop | status | env
# Environment: ARTICDBM_TLS_DIR=/tmp/articdbm-mariadb-tls, ARTICDBM_TLS_PORT=3307. Must run as root.
set -euo pipefail
STATE=${ARTICDBM_TLS_DIR:-/tmp/articdbm-mariadb-tls}
PORT=${ARTICDBM_TLS_PORT:-3307}
die() { printf '[mariadb-tls] ERROR: %s\n' "$*" >&2; exit 1; }
log() { printf '[mariadb-tls] %s\n' "$*" >&2; }
rsql() { env -u MYSQL_HOST -u MYSQL_TCP_PORT -u MYSQL_PWD mariadb --no-defaults -hlocalhost --protocol=SOCKET -uroot -S "$STATE/mysqld.sock" -N -B -e "$1"; }
pid() { local p; p=$(cat "$STATE/mysqld.pid" 2>/dev/null) && kill -0 "$p" 2>/dev/null && echo "$p"; }

certs() {
  [ -f "$STATE/server-cert.pem" ] && return 0
  log "generating a throwaway CA and server certificate"
  openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=articdbm test CA" \
    -keyout "$STATE/ca-key.pem" -out "$STATE/ca.pem" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout "$STATE/server-key.pem" \
    -out "$STATE/server.csr" 2>/dev/null
  printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >"$STATE/san.ext"
  openssl x509 -req -in "$STATE/server.csr" -CA "$STATE/ca.pem" -CAkey "$STATE/ca-key.pem" -CAcreateserial \
    -days 30 -extfile "$STATE/san.ext" -out "$STATE/server-cert.pem" 2>/dev/null
  chown mysql:mysql "$STATE/server-key.pem" "$STATE/server-cert.pem"
  chmod 600 "$STATE/server-key.pem" "$STATE/ca-key.pem"
}

cmd_start() {
  [ "$(id -u)" = 0 ] || die "must run as root"
  mkdir -p "$STATE/data"; chmod 755 "$STATE"; chown mysql:mysql "$STATE" "$STATE/data"
  certs
  cat >"$STATE/my.cnf" <<CNF
[mariadbd]
user = mysql
datadir = $STATE/data
socket = $STATE/mysqld.sock
pid-file = $STATE/mysqld.pid
log-error = $STATE/error.log
port = $PORT
bind-address = 127.0.0.1
skip-name-resolve
skip-log-bin
performance_schema = OFF
innodb_buffer_pool_size = 32M
innodb_log_file_size = 16M
max_allowed_packet = 64M
ssl_ca = $STATE/ca.pem
ssl_cert = $STATE/server-cert.pem
ssl_key = $STATE/server-key.pem
CNF
  if [ -z "$(pid || true)" ]; then
    if [ ! -d "$STATE/data/mysql" ]; then
      mariadb-install-db --defaults-file="$STATE/my.cnf" --user=mysql --skip-test-db \
        --auth-root-authentication-method=socket >"$STATE/install-db.log" 2>&1 || die "mariadb-install-db failed: $STATE/install-db.log"
    fi
    ss -ltnH "( sport = :$PORT )" | grep -q . && die "port $PORT is in use"
    setsid /usr/sbin/mariadbd --defaults-file="$STATE/my.cnf" </dev/null >>"$STATE/stdout.log" 2>&1 &
    for _ in $(seq 1 100); do rsql 'SELECT 1' >/dev/null 2>&1 && break; sleep 0.2; done
    rsql 'SELECT 1' >/dev/null || die "mariadbd did not start; see $STATE/error.log"
  fi
  [ "$(rsql "SELECT @@have_ssl")" = YES ] || die "TLS is not enabled (have_ssl=$(rsql 'SELECT @@have_ssl'))"
  [ -s "$STATE/password" ] || (umask 077; head -c 18 /dev/urandom | base64 | tr -d '/+=' >"$STATE/password")
  local pw; pw=$(cat "$STATE/password")
  rsql "CREATE DATABASE IF NOT EXISTS articdbm_tls;
    CREATE USER IF NOT EXISTS 'articdbm_tls'@'%' IDENTIFIED BY '$pw' REQUIRE SSL;
    ALTER USER 'articdbm_tls'@'%' IDENTIFIED BY '$pw' REQUIRE SSL;
    GRANT ALL PRIVILEGES ON \`articdbm\\_%\`.* TO 'articdbm_tls'@'%';"
  (umask 077; printf 'export MYSQL_HOST=127.0.0.1\nexport MYSQL_PORT=%s\nexport MYSQL_USER=articdbm_tls\nexport MYSQL_PASSWORD=%s\nexport MYSQL_DATABASE=articdbm_tls\nexport MYSQL_SSL=1\nexport MYSQL_SSL_CA=%s\n' \
    "$PORT" "$pw" "$STATE/ca.pem" >"$STATE/env")
  log "up on 127.0.0.1:$PORT, TLS required for articdbm_tls; CA $STATE/ca.pem; env in $STATE/env"
}

case ${1:-} in
  start) cmd_start ;;
  stop) p=$(pid || true); if [ -n "$p" ]; then kill -TERM "$p"; while kill -0 "$p" 2>/dev/null; do sleep 0.2; done; log stopped; else log "not running"; fi ;;
  status) if p=$(pid); then echo "running pid $p port $PORT have_ssl=$(rsql 'SELECT @@have_ssl')"; else echo stopped; exit 1; fi ;;
  env) cat "$STATE/env" ;;
  *) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
