#!/usr/bin/env bash
# Instructions per transaction of the proxy, counted by callgrind: a number that does not depend
# on what else the machine is doing, for comparing two builds of ArticDBM on the hot path.
#
#   bench/instructions.sh [BINARY...]      (default: target/release/articdbm)
#
# For each binary: starts it under `valgrind --tool=callgrind` with the benchmark config of
# bench/articdbm.sh (transaction mode, pool 20, SCRAM), warms up with pgbench -S -c 64, zeroes the
# counters, runs BENCH_IC_TX (default 200) select-only transactions per client at 64 clients,
# and prints instructions per transaction. Under valgrind the proxy is the bottleneck, so this
# counts the saturated path (clients queueing for servers), not latency. Needs bench/setup.sh.
set -euo pipefail
. "$(dirname "$0")/common.sh"
[ $# -gt 0 ] || set -- "$BENCH_DIR/../target/release/articdbm"
command -v valgrind >/dev/null || { echo "valgrind is not installed" >&2; exit 2; }
export PGPASSWORD=$BENCH_PASSWORD
port=${BENCH_IC_PORT:-26433}
tx=${BENCH_IC_TX:-200}
raise_nofile 20000

for bin in "$@"; do
  work=$(mktemp -d /tmp/articdbm-ic.XXXXXX)
  # Reuse bench/articdbm.sh's config (verifier for the bench user) on another port.
  ARTICDBM_BIN=$bin "$BENCH_DIR/articdbm.sh" start "$port" 20 >/dev/null 2>&1
  cp "$BENCH_STATE_DIR/articdbm-$port/articdbm.toml" "$work/articdbm.toml"
  "$BENCH_DIR/articdbm.sh" stop "$port" >/dev/null 2>&1
  ARTICDBM_LOGGING__LEVEL=warn valgrind --tool=callgrind --callgrind-out-file="$work/cg.out" \
    "$bin" proxy --config "$work/articdbm.toml" >"$work/log" 2>&1 &
  vpid=$!
  wait_ready "$port" "$BENCH_USER" "$BENCH_PASSWORD"
  pgbench -n -S -c 64 -j 2 -t 50 -h 127.0.0.1 -p "$port" -U "$BENCH_USER" "$BENCH_DB" >/dev/null 2>&1
  callgrind_control -z "$vpid" >/dev/null 2>&1
  out=$(pgbench -n -S -c 64 -j 2 -t "$tx" -h 127.0.0.1 -p "$port" -U "$BENCH_USER" "$BENCH_DB" 2>&1)
  callgrind_control -d "$vpid" >/dev/null 2>&1
  kill "$vpid"; wait "$vpid" 2>/dev/null || true
  done_tx=$(grep -oP 'processed: \K[0-9]+' <<<"$out")
  ir=$(grep -hoP '^summary: \K[0-9]+' "$work"/cg.out.* | tail -n 1)
  printf '%s\t%s transactions\t%s instructions/transaction\n' "$bin" "$done_tx" "$((ir / done_tx))"
  rm -rf "$work"
done
