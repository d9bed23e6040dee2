#!/usr/bin/env bash
# Start or stop a PgBouncer instance for the benchmark.
#   bench/pgbouncer.sh start PORT POOLSIZE
#   bench/pgbouncer.sh stop  PORT
# Listens on 127.0.0.1:PORT, pool_mode=transaction, default_pool_size=POOLSIZE, max_client_conn=20000,
# database articdbm_bench -> 127.0.0.1:5432 as user postgres (trust on the server side).
# Client auth: BENCH_PGB_AUTH (default scram-sha-256, the same as ArticDBM's bench user; `trust` also
# works). Users in the userlist: $BENCH_USER with a SCRAM verifier of $BENCH_PASSWORD, and postgres.
# State (ini, userlist, log, pidfile) lives in $BENCH_STATE_DIR/pgbouncer-PORT/.
set -euo pipefail
. "$(dirname "$0")/common.sh"

cmd=${1:-}; port=${2:-}; pool=${3:-${POOL_SIZE:-20}}
[ -n "$cmd" ] && [ -n "$port" ] || { echo "usage: $0 start|stop PORT [POOLSIZE]" >&2; exit 2; }
dir=$BENCH_STATE_DIR/pgbouncer-$port
PGB=$(command -v pgbouncer || echo /usr/sbin/pgbouncer)

case $cmd in
start)
  [ -x "$PGB" ] || { echo "[pgbouncer] not installed; run bench/setup.sh" >&2; exit 1; }
  if [ -f "$dir/pgbouncer.pid" ] && kill -0 "$(cat "$dir/pgbouncer.pid")" 2>/dev/null; then
    echo "[pgbouncer] already running on port $port (pid $(cat "$dir/pgbouncer.pid"))" >&2; exit 0
  fi
  mkdir -p "$dir"
  if [ "$BENCH_AUTH" = md5 ]; then
    auth=${BENCH_PGB_AUTH:-md5}
    verifier="md5$(printf '%s%s' "$BENCH_PASSWORD" "$BENCH_USER" | md5sum | cut -d' ' -f1)"
  else
    auth=${BENCH_PGB_AUTH:-scram-sha-256}
    verifier=$(python3 "$BENCH_DIR/scram.py" verifier "$BENCH_PASSWORD")
  fi
  cat >"$dir/userlist.txt" <<UL
"$BENCH_USER" "$verifier"
"postgres" ""
UL
  cat >"$dir/pgbouncer.ini" <<INI
[databases]
$BENCH_DB = host=$BENCH_PGHOST port=$BENCH_PGPORT dbname=$BENCH_DB user=postgres

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $port
listen_backlog = 4096
unix_socket_dir =
auth_type = $auth
auth_file = $dir/userlist.txt
pool_mode = transaction
default_pool_size = $pool
min_pool_size = 0
reserve_pool_size = 0
max_client_conn = 20000
ignore_startup_parameters = extra_float_digits,options
logfile = $dir/pgbouncer.log
pidfile = $dir/pgbouncer.pid
log_connections = 0
log_disconnections = 0
log_pooler_errors = 1
INI
  : >"$dir/pgbouncer.log"
  chown -R postgres "$dir"
  chmod 700 "$dir"
  raise_nofile 65536
  # pgbouncer refuses to run as root: -u drops to the postgres system user; -d daemonizes and
  # writes the pidfile.
  "$PGB" -q -d -u postgres "$dir/pgbouncer.ini"
  if ! wait_ready "$port" "$BENCH_USER" "$BENCH_PASSWORD"; then
    echo "[pgbouncer] did not become ready on 127.0.0.1:$port; log:" >&2
    tail -20 "$dir/pgbouncer.log" >&2
    stop_pid "$dir/pgbouncer.pid" pgbouncer
    exit 1
  fi
  echo "[pgbouncer] running on 127.0.0.1:$port pool=$pool auth=$auth pid=$(cat "$dir/pgbouncer.pid")" >&2
  ;;
stop)
  stop_pid "$dir/pgbouncer.pid" pgbouncer
  ;;
pid)
  cat "$dir/pgbouncer.pid"
  ;;
*)
  echo "usage: $0 start|stop|pid PORT [POOLSIZE]" >&2; exit 2 ;;
esac
