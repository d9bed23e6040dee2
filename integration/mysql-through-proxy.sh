#!/usr/bin/env bash
# Runs the MySQL real-client checks through a real ArticDBM proxy in front of the real MariaDB
# (127.0.0.1:3306): the mysql CLI (mysql_native_password and caching_sha2_password logins, wrong
# password, TLS with the CA verified, LOAD DATA LOCAL INFILE refused or relayed as the policy
# says), then the driver suites of integration/mysql (PyMySQL,
# mysqlclient, mysql-connector-python binary protocol, mysql2, MariaDB Connector/J with server
# prepares, session-state isolation) and sysbench (oltp_point_select, oltp_read_write: no error,
# tables identical through the proxy and direct) in transaction (multiplexing) mode, and the
# Python suite again in session mode over TLS. A clean SIGTERM ends each proxy.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
export ARTICDBM_BIN="${ARTICDBM_BIN:-$root/target/debug/articdbm}"
. "$here/lib-proxy.sh"
[ -x "$ARTICDBM_BIN" ] || (cd "$root" && cargo build -q -p articdbm) || exit 2
"$here/mysql/install.sh" >/dev/null || { echo "mysql-through-proxy: install failed" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
make_tls "$work"
native_pw=$(random_password)
sha_pw=$(random_password)
native_v=$(printf '%s' "$native_pw" | "$ARTICDBM_BIN" hash-password --method mysql-native | tail -n 1)
sha_v=$(printf '%s' "$sha_pw" | "$ARTICDBM_BIN" hash-password --method caching-sha2 | tail -n 1)
db=articdbm_it
status=0
summary=()

# write_mysql_config FILE PG_PORT MYSQL_PORT MODE LOCAL_INFILE(true|false)
write_mysql_config() {
  cat >"$1" <<CONF
[proxy]
pg_listen = "127.0.0.1:$2"
mysql_listen = "127.0.0.1:$3"
shutdown_grace_secs = 10
mysql_local_infile = $5

[tls]
mode = "optional"
cert = "$work/server.pem"
key = "$work/server.key"

[pool]
mode = "$4"
size = 10
checkout_timeout_secs = 20

# Logins without a database land in $db (two MySQL databases are configured).
[users.app]
mysql_password = "$native_v"
default_database = "$db"

[users.app_sha]
mysql_password = "$sha_v"
default_database = "$db"

[databases.$db]
kind = "mysql"
host = "127.0.0.1"
user = "root"

# The second schema the isolation test switches to with USE (only configured names are reachable).
[databases.${db}_other]
kind = "mysql"
host = "127.0.0.1"
user = "root"
CONF
}

# start_mysql_proxy CONFIG MYSQL_PORT LOG: like start_proxy, waiting for the MySQL port.
start_mysql_proxy() {
  (ulimit -n "$(ulimit -Hn)" 2>/dev/null
   ARTICDBM_LOGGING__LEVEL="${ARTICDBM_LOGGING__LEVEL:-info}" exec "$ARTICDBM_BIN" proxy --config "$1") >"$3" 2>&1 &
  PROXY_PID=$!
  for _ in $(seq 1 100); do
    if (echo >"/dev/tcp/127.0.0.1/$2") 2>/dev/null; then return 0; fi
    kill -0 "$PROXY_PID" 2>/dev/null || break
    sleep 0.1
  done
  echo "proxy did not start; log:" >&2
  cat "$3" >&2
  return 1
}

# sysbench_check PORT: oltp_point_select and oltp_read_write through the proxy, any error fatal
# except the server's own deadlock/lock-wait errors (1213, 1205: oltp_read_write at 8 threads
# causes them against the server directly too; sysbench retries those transactions and counts
# them), then the tables read through the proxy and directly must be identical.
sysbench_check() {
  local port=$1 sb=(--mysql-host=127.0.0.1 --mysql-db="$db" --tables=2 --table-size=2000)
  sysbench oltp_read_write "${sb[@]}" --mysql-port=3306 --mysql-user=root cleanup >/dev/null 2>&1
  sysbench oltp_read_write "${sb[@]}" --mysql-port=3306 --mysql-user=root prepare >/dev/null || return 1
  local t out
  for t in oltp_point_select oltp_read_write; do
    out=$(sysbench "$t" "${sb[@]}" --mysql-port="$port" --mysql-user=app --mysql-password="$native_pw" \
      --threads=8 --time=5 --mysql-ignore-errors=1213,1205 run 2>&1) || { echo "  FAIL sysbench $t:"; tail -n 20 <<<"$out"; return 1; }
    echo "  ok   sysbench $t: $(grep -E 'transactions:' <<<"$out" | xargs), $(grep -E 'ignored errors:' <<<"$out" | xargs)"
  done
  local q="SELECT COUNT(*), SUM(k), BIT_XOR(CRC32(c)) FROM sbtest1 UNION ALL SELECT COUNT(*), SUM(k), BIT_XOR(CRC32(c)) FROM sbtest2"
  local via direct
  via=$(MYSQL_PWD=$native_pw mysql -h 127.0.0.1 -P "$port" -u app -N -e "$q" "$db" 2>&1)
  direct=$(mysql -h 127.0.0.1 -P 3306 -u root -N -e "$q" "$db" 2>&1)
  sysbench oltp_read_write "${sb[@]}" --mysql-port=3306 --mysql-user=root cleanup >/dev/null 2>&1
  if [ "$via" = "$direct" ]; then echo "  ok   sysbench tables identical through the proxy and direct"; return 0; fi
  echo "  FAIL sysbench tables differ: via proxy [$via] direct [$direct]"
  return 1
}

mysql -uroot -e "CREATE DATABASE IF NOT EXISTS $db; CREATE DATABASE IF NOT EXISTS ${db}_other"

for mode in transaction session; do
  pg_port=$(free_port)
  my_port=$(free_port)
  # LOAD DATA LOCAL INFILE: refused in the transaction-mode run, allowed in the session-mode run.
  local_infile=false
  [ "$mode" = session ] && local_infile=true
  write_mysql_config "$work/$mode.toml" "$pg_port" "$my_port" "$mode" "$local_infile"
  echo "=== ArticDBM (MySQL front end) in $mode mode on 127.0.0.1:$my_port"
  start_mysql_proxy "$work/$mode.toml" "$my_port" "$work/$mode.log" || { status=1; continue; }

  cli_fail=0
  check_cli() { # label expect(ok|1045) user password [extra mysql args...]
    local label=$1 expect=$2 user=$3 pw=$4; shift 4
    local out
    out=$(MYSQL_PWD=$pw mysql -h 127.0.0.1 -P "$my_port" -u "$user" "$@" -N -e "SELECT 'in'" "$db" 2>&1)
    if [ "$expect" = ok ] && [ "$out" = in ]; then echo "  ok   mysql: $label"
    elif [ "$expect" = 1045 ] && grep -q '^ERROR 1045 (28000)' <<<"$out"; then echo "  ok   mysql: $label (1045)"
    else echo "  FAIL mysql: $label: $out"; cli_fail=1; fi
  }
  check_cli "mysql_native_password" ok app "$native_pw"
  check_cli "caching_sha2_password" ok app_sha "$sha_pw"
  check_cli "wrong password" 1045 app wrong
  check_cli "unknown user" 1045 nobody "$native_pw"
  check_cli "TLS, CA verified" ok app "$native_pw" --ssl-ca="$work/ca.pem" --ssl-verify-server-cert
  printf '1,a\n2,b\n3,c\n' >"$work/infile.csv"
  out=$(MYSQL_PWD=$native_pw mysql --local-infile=1 -h 127.0.0.1 -P "$my_port" -u app -N -e \
    "CREATE TABLE IF NOT EXISTS it_infile (a INT, b TEXT); DELETE FROM it_infile;
     LOAD DATA LOCAL INFILE '$work/infile.csv' INTO TABLE it_infile FIELDS TERMINATED BY ',';
     SELECT COUNT(*) FROM it_infile" "$db" 2>&1)
  if [ "$local_infile" = true ] && [ "$out" = 3 ]; then echo "  ok   mysql: LOAD DATA LOCAL INFILE relayed (allowed)"
  elif [ "$local_infile" = false ] && grep -qE '^ERROR (4166|1148|3948)' <<<"$out"; then echo "  ok   mysql: LOAD DATA LOCAL INFILE refused (not allowed)"
  else echo "  FAIL mysql: LOAD DATA LOCAL INFILE with mysql_local_infile=$local_infile: $out"; cli_fail=1; fi
  mysql -uroot -e "DROP TABLE IF EXISTS $db.it_infile"
  [ $cli_fail = 0 ] && summary+=("mysql-cli($mode): ok") || { summary+=("mysql-cli($mode): FAILED"); status=1; }

  export MYSQL_HOST=127.0.0.1 MYSQL_PORT=$my_port MYSQL_USER=app MYSQL_PASSWORD=$native_pw \
    MYSQL_DATABASE=$db MYSQL_VIA_PROXY=1
  # The server behind the proxy, for the fault cases that kill a server thread there.
  export MYSQL_BACKEND_HOST=127.0.0.1 MYSQL_BACKEND_PORT=3306 MYSQL_BACKEND_USER=root MYSQL_BACKEND_PASSWORD=
  if [ "$mode" = transaction ]; then
    suites=(python node java)
    tls=(MYSQL_SSL=0)
  else
    suites=(python)
    tls=(MYSQL_SSL=1 MYSQL_SSL_CA="$work/ca.pem")
  fi
  if env "${tls[@]}" "$here/mysql/run-drivers.sh" "${suites[@]}"; then
    summary+=("mysql-drivers($mode): ok")
  else
    summary+=("mysql-drivers($mode): FAILED"); status=1
    echo "--- proxy log ($mode), last 80 lines:"; tail -n 80 "$work/$mode.log"
  fi
  if [ "$mode" = transaction ]; then
    if sysbench_check "$my_port"; then summary+=("sysbench($mode): ok"); else summary+=("sysbench($mode): FAILED"); status=1; fi
  fi
  if stop_proxy; then summary+=("shutdown($mode): ok"); else summary+=("shutdown($mode): FAILED"); status=1; fi
done

echo
echo "=== summary"
printf '  %s\n' "${summary[@]}"
exit $status
