#!/usr/bin/env bash
# Fetches rows of 50-9,000 bytes over TLS through a real ArticDBM proxy, in session and in
# transaction mode, with the clients that found the TLS stall of issue 10: psycopg 3.3.4 (its
# bundled libpq 18.0 stalls on TLS records larger than it expects; PostgreSQL's are 8 KB at most),
# a current psycopg, asyncpg, node-postgres, and the mysql CLI on the MySQL listener. Every client
# runs ARTICDBM_TLS_ITERATIONS times (default 60) a plain SELECT and a COPY TO STDOUT of 20 such
# rows (the CLI a SELECT), under a timeout, so a stall is a failure. The same clients run directly
# against PostgreSQL first when it offers TLS (a reference: they must pass there).
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
export ARTICDBM_BIN="${ARTICDBM_BIN:-$root/target/debug/articdbm}"
. "$here/lib-proxy.sh"
[ -x "$ARTICDBM_BIN" ] || (cd "$root" && cargo build -q -p articdbm) || exit 2
"$here/setup.sh" >/dev/null || { echo "tls-fetch: setup failed" >&2; exit 2; }

# psycopg 3.3.4 in a venv of its own (the main venv has a current psycopg).
old_venv="${ARTICDBM_VENV_PSYCOPG334:-$root/.venv-psycopg-3.3.4}"
req="$here/tls/requirements-psycopg-3.3.4.txt"
stamp="$old_venv/.requirements.sha256"
[ -x "$old_venv/bin/python" ] || python3 -m venv "$old_venv" || exit 2
want="$(sha256sum "$req" | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null || true)" != "$want" ]; then
  "$old_venv/bin/python" -m pip install -q --disable-pip-version-check -r "$req" || exit 2
  echo "$want" >"$stamp"
fi
venv="${ARTICDBM_VENV:-$root/.venv}"
iterations=${ARTICDBM_TLS_ITERATIONS:-60}
limit=${ARTICDBM_TLS_TIMEOUT:-120}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
make_tls "$work"
pw=$(random_password)
pg_v=$(printf '%s\n' "$pw" | "$ARTICDBM_BIN" hash-password)
my_v=$(printf '%s' "$pw" | "$ARTICDBM_BIN" hash-password --method mysql-native | tail -n 1)
mydb=articdbm_it
mysql -h 127.0.0.1 -P 3306 -u root -e "CREATE DATABASE IF NOT EXISTS $mydb" || exit 2
status=0
summary=()

# check LABEL COMMAND...: runs under the timeout; a stall (exit 124) is reported as such.
check() {
  local label=$1; shift
  local out rc
  out=$(timeout --kill-after=5 "$limit" "$@" 2>&1); rc=$?
  if [ $rc -eq 0 ]; then
    echo "  ok    $label: ${out##*$'\n'}"; summary+=("ok    $label")
  elif [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
    echo "  STALL $label: no answer within ${limit}s"; summary+=("STALL $label"); status=1
  else
    echo "  FAIL  $label: $out"; summary+=("FAIL  $label"); status=1
  fi
}

pg_clients() { # PREFIX
  check "$1 psycopg 3.3.4 (libpq 18.0)" "$old_venv/bin/python" "$here/tls/fetch_rows.py" psycopg "$iterations"
  check "$1 psycopg (current)" "$venv/bin/python" "$here/tls/fetch_rows.py" psycopg "$iterations"
  check "$1 asyncpg" "$venv/bin/python" "$here/tls/fetch_rows.py" asyncpg "$iterations"
  check "$1 node-postgres" node "$here/tls/fetch_rows.js" "$iterations"
}

if [ "$(psql -h 127.0.0.1 -p 5432 -U postgres -d test -XAtc 'SHOW ssl' 2>/dev/null)" = on ] && [ "${ARTICDBM_TLS_DIRECT:-1}" = 1 ]; then
  echo "=== directly against PostgreSQL 127.0.0.1:5432 (reference)"
  export PGHOST=127.0.0.1 PGPORT=5432 PGUSER=postgres PGDATABASE=test
  unset PGPASSWORD PGSSLROOTCERT PGSSLHOST
  # node-postgres verifies the certificate, and the server's is not from this run's CA: not here.
  check "direct psycopg 3.3.4 (libpq 18.0)" "$old_venv/bin/python" "$here/tls/fetch_rows.py" psycopg "$iterations"
  check "direct asyncpg" "$venv/bin/python" "$here/tls/fetch_rows.py" asyncpg "$iterations"
fi

for mode in ${ARTICDBM_IT_MODES:-session transaction}; do
  pg_port=$(free_port); my_port=$(free_port)
  cat >"$work/$mode.toml" <<CONF
[proxy]
pg_listen = "127.0.0.1:$pg_port"
mysql_listen = "127.0.0.1:$my_port"
shutdown_grace_secs = 10

[tls]
mode = "required"
cert = "$work/server.pem"
key = "$work/server.key"

[pool]
mode = "$mode"
size = 4

[users.app]
password = "$pg_v"
mysql_password = "$my_v"

[databases.test]
host = "127.0.0.1"
port = 5432
user = "postgres"

[databases.$mydb]
kind = "mysql"
host = "127.0.0.1"
port = 3306
user = "root"
CONF
  echo "=== ArticDBM in $mode mode, TLS required: PostgreSQL 127.0.0.1:$pg_port, MySQL 127.0.0.1:$my_port"
  start_proxy "$work/$mode.toml" "$pg_port" "$work/$mode.log" || { status=1; summary+=("FAIL  start ($mode)"); continue; }
  export PGHOST=localhost PGPORT=$pg_port PGUSER=app PGPASSWORD=$pw PGDATABASE=test \
    PGSSLROOTCERT="$work/ca.pem" PGSSLHOST=localhost
  pg_clients "$mode"
  MYSQL_PWD=$pw check "$mode mysql CLI" "$here/tls/mysql_rows.sh" "$my_port" "$work/ca.pem" app "$mydb" "$iterations"
  stop_proxy || { status=1; summary+=("FAIL  shutdown ($mode)"); }
  if grep -qi panicked "$work/$mode.log"; then status=1; summary+=("FAIL  panic in proxy log ($mode)"); fi
done

echo
echo "=== tls-fetch summary"
printf '  %s\n' "${summary[@]}"
exit $status
