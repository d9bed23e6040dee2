#!/usr/bin/env bash
# The embedded SQLite backend, side by side in ONE run: the same SQLite file used directly from a
# local Rust program (crates/articdbm-proxy/examples/sqlite_direct.rs: rusqlite, one connection
# per client thread, prepared statements) vs served by ArticDBM over the PostgreSQL protocol
# (pgbench -M prepared, SCRAM login). Workloads: point select by random primary key among
# SQ_ROWS rows, and single-row autocommit inserts; at 1 and 16 clients. For each (workload,
# clients), BENCH_ROUNDS rounds with the two targets alternating; the median is reported.
#
# Output: markdown on stdout and in bench/results/<stamp>-sqlite.md, rows in <stamp>-sqlite.csv.
#
# Environment (defaults):
#   SQ_SECONDS=10  SQ_ROWS=10000  SQ_CLIENTS="1 16"  SQ_WORKLOADS="select insert"  BENCH_ROUNDS=3
#   BENCH_QUIET_WAIT=0 (seconds to wait for background CPU < 20% before each run)
#   ARTICDBM_BIN=target/release/articdbm  SQLITE_DIRECT_BIN=target/release/examples/sqlite_direct
#   (both built here with `cargo build --release` when missing)
set -euo pipefail
. "$(dirname "$0")/common.sh"

SQ_SECONDS=${SQ_SECONDS:-10}
SQ_ROWS=${SQ_ROWS:-10000}
SQ_CLIENTS=${SQ_CLIENTS:-1 16}
SQ_WORKLOADS=${SQ_WORKLOADS:-select insert}
BENCH_ROUNDS=${BENCH_ROUNDS:-3}
root=$(cd "$BENCH_DIR/.." && pwd)
ARTICDBM_BIN=${ARTICDBM_BIN:-$root/target/release/articdbm}
SQLITE_DIRECT_BIN=${SQLITE_DIRECT_BIN:-$root/target/release/examples/sqlite_direct}
log() { printf '[sqlite-bench] %s\n' "$*" >&2; }

if [ ! -x "$ARTICDBM_BIN" ] || [ ! -x "$SQLITE_DIRECT_BIN" ]; then
  log "building release binaries"
  (cd "$root" && cargo build --release -p articdbm && cargo build --release -p articdbm-proxy --example sqlite_direct)
fi
raise_nofile 65536

dir=$BENCH_STATE_DIR/sqlite-bench
port=${SQ_PORT:-16440}
rm -rf "$dir"; mkdir -p "$dir/data"; chmod 700 "$dir"
python3 - "$dir/data/bench.db" "$SQ_ROWS" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("PRAGMA journal_mode=WAL")
c.execute("CREATE TABLE kv (id INTEGER PRIMARY KEY, v TEXT NOT NULL)")
c.execute("CREATE TABLE log (id INTEGER PRIMARY KEY, v TEXT NOT NULL)")
c.executemany("INSERT INTO kv (id, v) VALUES (?, ?)", ((i, f"value-{i}") for i in range(1, int(sys.argv[2]) + 1)))
c.commit()
PY
verifier=$(printf '%s' "$BENCH_PASSWORD" | "$ARTICDBM_BIN" hash-password --method scram-sha-256 | tail -n 1)
cat >"$dir/articdbm.toml" <<TOML
data_dir = "$dir/data"

[proxy]
pg_listen = "127.0.0.1:$port"
mysql_listen = ""

[users.$BENCH_USER]
password = "$verifier"

[databases.bench]
kind = "sqlite"
path = "bench.db"
TOML
ARTICDBM_LOGGING__LEVEL=warn "$ARTICDBM_BIN" proxy --config "$dir/articdbm.toml" >"$dir/articdbm.log" 2>&1 &
proxy_pid=$!
trap 'kill "$proxy_pid" 2>/dev/null || true; rm -f "$dir"/*.sql' EXIT
for _ in $(seq 1 100); do
  PGPASSWORD=$BENCH_PASSWORD psql -X -q -h 127.0.0.1 -p "$port" -U "$BENCH_USER" -d bench -c 'SELECT 1' >/dev/null 2>&1 && break
  sleep 0.1
done
PGPASSWORD=$BENCH_PASSWORD psql -X -q -h 127.0.0.1 -p "$port" -U "$BENCH_USER" -d bench -c 'SELECT 1' >/dev/null \
  || { log "proxy did not start:"; tail -n 20 "$dir/articdbm.log" >&2; exit 1; }

printf '\\set id random(1, %s)\nSELECT v FROM kv WHERE id = :id;\n' "$SQ_ROWS" >"$dir/select.sql"
printf "INSERT INTO log (v) VALUES ('x');\n" >"$dir/insert.sql"

bg_cpu() {
  local a b
  a=$(awk '/^cpu / {print $2+$3+$4+$7+$8+$9, $2+$3+$4+$5+$6+$7+$8+$9}' /proc/stat); sleep 1
  b=$(awk '/^cpu / {print $2+$3+$4+$7+$8+$9, $2+$3+$4+$5+$6+$7+$8+$9}' /proc/stat)
  awk -v a="$a" -v b="$b" 'BEGIN {split(a, x, " "); split(b, y, " "); d = y[2] - x[2]; printf "%.0f", (d > 0 ? 100 * (y[1] - x[1]) / d : 0)}'
}
wait_quiet() {
  local deadline=$((SECONDS + ${BENCH_QUIET_WAIT:-0}))
  bg=$(bg_cpu)
  while [ "$bg" -ge 20 ] && [ "$SECONDS" -lt "$deadline" ]; do bg=$(bg_cpu); done
}

stamp=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$BENCH_DIR/results"
csv=$BENCH_DIR/results/$stamp-sqlite.csv
md=$BENCH_DIR/results/$stamp-sqlite.md
echo "run,workload,clients,round,target,tps,lat_avg_ms,failed,bg_cpu_pct" >"$csv"

run_target() { # target workload clients -> "tps lat failed"
  local t=$1 w=$2 c=$3 out
  if [ "$t" = direct ]; then
    out=$("$SQLITE_DIRECT_BIN" "$dir/data/bench.db" "$w" "$c" "$SQ_SECONDS" "$SQ_ROWS")
    awk '{for (i = 1; i <= NF; i++) {split($i, kv, "="); v[kv[1]] = kv[2]}} END {print v["tps"], v["lat_avg_ms"], 0}' <<<"$out"
  else
    out=$(PGPASSWORD=$BENCH_PASSWORD pgbench -n -M prepared -f "$dir/$w.sql" -c "$c" -j "$((c < 2 ? c : 2))" \
      -T "$SQ_SECONDS" -h 127.0.0.1 -p "$port" -U "$BENCH_USER" bench 2>&1) || { log "pgbench failed: $out"; echo "NA NA NA"; return; }
    awk '/^tps = / {tps = $3} /latency average/ {lat = $4} /failed transactions|number of failed/ {f = $NF} /number of transactions actually processed/ {} END {if (f == "") f = 0; gsub(/[()%]/, "", f); print (tps == "" ? "NA" : tps), (lat == "" ? "NA" : lat), f}' <<<"$out"
  fi
}

rot=0
for w in $SQ_WORKLOADS; do
  for c in $SQ_CLIENTS; do
    for round in $(seq 1 "$BENCH_ROUNDS"); do
      if [ $((rot % 2)) = 0 ]; then order="direct articdbm"; else order="articdbm direct"; fi
      rot=$((rot + 1))
      for t in $order; do
        wait_quiet
        read -r tps lat failed < <(run_target "$t" "$w" "$c")
        log "$w clients=$c round $round: $t tps=$tps lat=${lat}ms failed=$failed [background cpu ${bg}%]"
        echo "$stamp,$w,$c,$round,$t,$tps,$lat,$failed,$bg" >>"$csv"
      done
    done
  done
done

{
  echo "# SQLite backend run $stamp"
  echo
  echo "- machine: $(nproc) cores; client, proxy and SQLite on the same machine; $("$ARTICDBM_BIN" version 2>/dev/null | head -n 1)"
  echo "- file: kv with $SQ_ROWS rows, log for inserts; WAL; direct = rusqlite in-process (examples/sqlite_direct.rs), articdbm = pgbench -M prepared over the PostgreSQL protocol"
  echo "- ${SQ_SECONDS}s per run, median of $BENCH_ROUNDS rounds, alternating target order"
  echo
  python3 - "$csv" <<'PY'
import csv, statistics, sys
rows = [r for r in csv.DictReader(open(sys.argv[1])) if r["tps"] not in ("", "NA")]
keys = list(dict.fromkeys((r["workload"], int(r["clients"])) for r in rows))
def med(w, c, t, col):
    v = [float(r[col]) for r in rows if r["workload"] == w and int(r["clients"]) == c and r["target"] == t]
    return statistics.median(v) if v else None
print("| workload | clients | direct ops/s | articdbm ops/s | direct avg ms | articdbm avg ms | articdbm/direct | added latency µs |")
print("|---|---|---|---|---|---|---|---|")
for w, c in keys:
    d, a = med(w, c, "direct", "tps"), med(w, c, "articdbm", "tps")
    dl, al = med(w, c, "direct", "lat_avg_ms"), med(w, c, "articdbm", "lat_avg_ms")
    ratio = f"{a / d:.2f}x" if d and a else "-"
    added = f"{(al - dl) * 1000:.0f}" if dl is not None and al is not None else "-"
    fmt = lambda x, p=0: "-" if x is None else f"{x:,.{p}f}"
    print(f"| {w} | {c} | {fmt(d)} | {fmt(a)} | {fmt(dl, 3)} | {fmt(al, 3)} | {ratio} | {added} |")
PY
  echo
  echo "Failed transactions (pgbench): $(awk -F, 'NR > 1 && $5 == "articdbm" {s += $8} END {print s + 0}' "$csv"). Raw rows: bench/results/$stamp-sqlite.csv"
} >"$md"
cat "$md"
log "wrote $csv and $md"
