#!/usr/bin/env bash
# Memory per idle client: start each proxy fresh, open IDLE_CLIENTS (default 10,000) idle
# authenticated connections with bench/idle_clients.py, report the proxy's VmRSS, stop it.
#   bench/idle.sh                 # pgbouncer and articdbm (skipped if its binary is missing)
#   IDLE_CLIENTS=5000 IDLE_TARGETS=pgbouncer bench/idle.sh
# Direct PostgreSQL is not a target here: it forks a process per connection and max_connections
# (100 on the shared server) caps it far below 10,000.
set -euo pipefail
. "$(dirname "$0")/common.sh"
IDLE_TARGETS=${IDLE_TARGETS:-pgbouncer articdbm}
POOL_SIZE=${POOL_SIZE:-20}
export IDLE_CLIENTS=${IDLE_CLIENTS:-10000}
raise_nofile 65536
rc=0
for t in $IDLE_TARGETS; do
  case $t in
    pgbouncer) port=${BENCH_PGB_PORT:-16432} ;;
    articdbm) port=${BENCH_ARTICDBM_PORT:-16433} ;;
    *) echo "unknown target $t" >&2; exit 2 ;;
  esac
  echo "== $t =="
  s=0; "$BENCH_DIR/$t.sh" start "$port" "$POOL_SIZE" || s=$?
  if [ "$s" -ne 0 ]; then echo "skipped: $t did not start (exit $s)"; continue; fi
  PGPASSWORD=$BENCH_PASSWORD python3 "$BENCH_DIR/idle_clients.py" --port "$port" \
    --user "$BENCH_USER" --pid "$("$BENCH_DIR/$t.sh" pid "$port")" || rc=1
  "$BENCH_DIR/$t.sh" stop "$port"
done
exit $rc
