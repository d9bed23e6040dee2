#!/usr/bin/env bash
# Start or stop an ArticDBM proxy for the benchmark (same shape as bench/pgbouncer.sh).
#   bench/articdbm.sh start PORT POOLSIZE
#   bench/articdbm.sh stop  PORT
# Binary: $ARTICDBM_BIN (default /work/main/target/release/articdbm; build with
# `cargo build --release`). Listens on 127.0.0.1:PORT, pool mode transaction, pool size POOLSIZE,
# database articdbm_bench -> 127.0.0.1:5432 as user postgres. Clients log in as $BENCH_USER with
# $BENCH_PASSWORD (SCRAM-SHA-256; the verifier comes from `articdbm hash-password`).
# State (config, log, pidfile) lives in $BENCH_STATE_DIR/articdbm-PORT/.
# Exit code 3 from `start` means "binary not found" (run.sh then skips the target).
set -euo pipefail
. "$(dirname "$0")/common.sh"

cmd=${1:-}; port=${2:-}; pool=${3:-${POOL_SIZE:-20}}
[ -n "$cmd" ] && [ -n "$port" ] || { echo "usage: $0 start|stop PORT [POOLSIZE]" >&2; exit 2; }
dir=$BENCH_STATE_DIR/articdbm-$port
BIN=${ARTICDBM_BIN:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/target/release/articdbm}

case $cmd in
start)
  if [ ! -x "$BIN" ]; then
    echo "[articdbm] binary $BIN not found (set ARTICDBM_BIN or run cargo build --release)" >&2
    exit 3
  fi
  if [ -f "$dir/articdbm.pid" ] && kill -0 "$(cat "$dir/articdbm.pid")" 2>/dev/null; then
    echo "[articdbm] already running on port $port (pid $(cat "$dir/articdbm.pid"))" >&2; exit 0
  fi
  mkdir -p "$dir"; chmod 700 "$dir"
  if [ "$BENCH_AUTH" = md5 ]; then
    verifier=$(printf '%s' "$BENCH_PASSWORD" | "$BIN" hash-password --method md5 --user "$BENCH_USER" | tail -n 1)
  else
    verifier=$(printf '%s' "$BENCH_PASSWORD" | "$BIN" hash-password --method scram-sha-256 | tail -n 1)
  fi
  [ -n "$verifier" ] || { echo "[articdbm] hash-password printed nothing" >&2; exit 1; }
  cat >"$dir/articdbm.toml" <<TOML
[proxy]
pg_listen = "127.0.0.1:$port"
max_client_connections = 20000

[pool]
mode = "transaction"
size = $pool

[users.$BENCH_USER]
password = "$verifier"

[databases.$BENCH_DB]
host = "$BENCH_PGHOST"
port = $BENCH_PGPORT
user = "postgres"
TOML
  raise_nofile 65536
  export ARTICDBM_LOGGING__LEVEL=${ARTICDBM_LOGGING__LEVEL:-warn}
  nohup "$BIN" proxy --config "$dir/articdbm.toml" >"$dir/articdbm.log" 2>&1 </dev/null &
  echo $! >"$dir/articdbm.pid"
  if ! wait_ready "$port" "$BENCH_USER" "$BENCH_PASSWORD"; then
    echo "[articdbm] did not become ready on 127.0.0.1:$port; log:" >&2
    tail -20 "$dir/articdbm.log" >&2
    stop_pid "$dir/articdbm.pid" articdbm
    exit 1
  fi
  echo "[articdbm] running on 127.0.0.1:$port pool=$pool pid=$(cat "$dir/articdbm.pid")" >&2
  ;;
stop)
  stop_pid "$dir/articdbm.pid" articdbm
  ;;
pid)
  cat "$dir/articdbm.pid"
  ;;
*)
  echo "usage: $0 start|stop|pid PORT [POOLSIZE]" >&2; exit 2 ;;
esac
