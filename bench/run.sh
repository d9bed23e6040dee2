#!/usr/bin/env bash
# Side-by-side pgbench comparison: direct PostgreSQL vs PgBouncer vs ArticDBM, in ONE run.
#
# For each workload, for each round 1..BENCH_ROUNDS, every target runs once, in an order that
# rotates from one round to the next (direct,pgbouncer,articdbm / pgbouncer,articdbm,direct / ...),
# so slow drift of the machine (thermal, page cache, autovacuum, checkpoints) spreads over all
# targets. The reported number is the MEDIAN of the rounds per (workload, target).
#
# Output: markdown tables on stdout and in bench/results/<timestamp>.md, raw rows in
# bench/results/<timestamp>.csv.
#
# Environment (defaults):
#   BENCH_SECONDS=15       measured duration of each pgbench run
#   BENCH_WARMUP=2         unmeasured pgbench run right before each measured one (0 = none)
#   BENCH_ROUNDS=3
#   POOL_SIZE=20           server-side pool of PgBouncer and ArticDBM (the same for both)
#   BENCH_THREADS=2        pgbench -j (capped at the client count)
#   BENCH_TARGETS="direct pgbouncer articdbm"
#   BENCH_WORKLOADS="select-1 select-16 select-64 select-256 select-connect-16 tpcb-16"
#   BENCH_PGB_PORT=16432  BENCH_ARTICDBM_PORT=16433
#   ARTICDBM_BIN=/work/main/target/release/articdbm   (missing -> the target is skipped)
#   BENCH_SKIP_SETUP=1     don't run bench/setup.sh first
#   BENCH_QUIET_WAIT=0     seconds to wait before each run for other CPU load (<20%) to go away
set -euo pipefail
. "$(dirname "$0")/common.sh"

BENCH_SECONDS=${BENCH_SECONDS:-15}
BENCH_WARMUP=${BENCH_WARMUP:-2}
BENCH_ROUNDS=${BENCH_ROUNDS:-3}
POOL_SIZE=${POOL_SIZE:-20}
BENCH_THREADS=${BENCH_THREADS:-2}
BENCH_TARGETS=${BENCH_TARGETS:-direct pgbouncer articdbm}
BENCH_WORKLOADS=${BENCH_WORKLOADS:-select-1 select-16 select-64 select-256 select-connect-16 tpcb-16}
PGB_PORT=${BENCH_PGB_PORT:-16432}
ART_PORT=${BENCH_ARTICDBM_PORT:-16433}
ARTICDBM_BIN=${ARTICDBM_BIN:-/work/main/target/release/articdbm}
export ARTICDBM_BIN POOL_SIZE

log() { printf '[bench] %s\n' "$*" >&2; }

[ "${BENCH_SKIP_SETUP:-0}" = 1 ] || "$BENCH_DIR/setup.sh"
raise_nofile 65536

stamp=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$BENCH_DIR/results"
csv=$BENCH_DIR/results/$stamp.csv
md=$BENCH_DIR/results/$stamp.md
work=$(mktemp -d /tmp/articdbm-bench-run.XXXXXX)
started=""   # the proxy currently running, for cleanup
cleanup() {
  case $started in
    pgbouncer) "$BENCH_DIR/pgbouncer.sh" stop "$PGB_PORT" || true ;;
    articdbm) "$BENCH_DIR/articdbm.sh" stop "$ART_PORT" || true ;;
  esac
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

psql_direct() { psql -X -q -h "$BENCH_PGHOST" -p "$BENCH_PGPORT" -U postgres -d "$BENCH_DB" -tA "$@"; }

# --- workloads: name -> "clients|pgbench args|per-transaction log (1/0)" ---------------------------
workload_def() {
  case $1 in
    select-1)          echo "1|-S|1" ;;
    select-16)         echo "16|-S|0" ;;
    select-64)         echo "64|-S|0" ;;
    select-256)        echo "256|-S|0" ;;
    select-connect-16) echo "16|-S -C|0" ;;
    tpcb-16)           echo "16||0" ;;
    *) return 1 ;;
  esac
}

# --- targets --------------------------------------------------------------------------------------
declare -A AVAIL NOTE
target_port() { case $1 in direct) echo "$BENCH_PGPORT" ;; pgbouncer) echo "$PGB_PORT" ;; articdbm) echo "$ART_PORT" ;; esac; }
target_user() { case $1 in direct) echo postgres ;; *) echo "$BENCH_USER" ;; esac; }
target_start() {
  case $1 in
    direct) return 0 ;;
    pgbouncer) "$BENCH_DIR/pgbouncer.sh" start "$PGB_PORT" "$POOL_SIZE" ;;
    articdbm) "$BENCH_DIR/articdbm.sh" start "$ART_PORT" "$POOL_SIZE" ;;
  esac
}
target_stop() {
  case $1 in
    direct) return 0 ;;
    pgbouncer) "$BENCH_DIR/pgbouncer.sh" stop "$PGB_PORT" ;;
    articdbm) "$BENCH_DIR/articdbm.sh" stop "$ART_PORT" ;;
  esac
}

targets=()
for t in $BENCH_TARGETS; do
  case $t in
    direct) AVAIL[$t]=1 ;;
    pgbouncer)
      if command -v pgbouncer >/dev/null 2>&1 || [ -x /usr/sbin/pgbouncer ]; then AVAIL[$t]=1
      else AVAIL[$t]=0; NOTE[$t]="pgbouncer not installed"; fi ;;
    articdbm)
      if [ -x "$ARTICDBM_BIN" ]; then
        # Probe once: a proxy that cannot start is skipped, not fatal.
        if target_start articdbm 2>"$work/probe.err"; then AVAIL[$t]=1; target_stop articdbm
        else AVAIL[$t]=0; NOTE[$t]="start failed: $(tail -n 3 "$work/probe.err" | tr '\n,' '  ')"; fi
      else AVAIL[$t]=0; NOTE[$t]="binary $ARTICDBM_BIN missing"; fi ;;
    *) log "unknown target $t"; exit 2 ;;
  esac
  [ "${AVAIL[$t]}" = 1 ] || log "SKIPPING target $t: ${NOTE[$t]}"
  targets+=("$t")
done

max_conn=$(psql_direct -c 'SHOW max_connections')
reserved=$(psql_direct -c 'SHOW superuser_reserved_connections')
log "PostgreSQL max_connections=$max_conn superuser_reserved_connections=$reserved"

# Free client slots on the server right now (our own psql session counts, so this is conservative).
direct_headroom() {
  local used
  used=$(psql_direct -c "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'")
  echo $(( max_conn - reserved - used ))
}

# --- meta -----------------------------------------------------------------------------------------
pg_version=$(psql_direct -c 'SHOW server_version')
pgb_version=$( (pgbouncer --version 2>/dev/null || /usr/sbin/pgbouncer --version 2>/dev/null) | head -n 1 || true)
art_version=$([ -x "$ARTICDBM_BIN" ] && "$ARTICDBM_BIN" version 2>/dev/null | head -n 1 || echo "n/a")
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
{
  echo "# Benchmark run $stamp"
  echo
  echo "- machine: $(nproc) cores ($cpu), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo); pgbench runs on the same machine"
  echo "- PostgreSQL $pg_version (max_connections=$max_conn), $pgb_version, ArticDBM: $art_version"
  echo "- pgbench scale 10, -j $BENCH_THREADS (capped at clients), ${BENCH_SECONDS}s per run (+${BENCH_WARMUP}s warm-up), $BENCH_ROUNDS rounds, rotating target order"
  echo "- pool size $POOL_SIZE (PgBouncer and ArticDBM, transaction mode); proxies authenticate clients with $([ "$BENCH_AUTH" = md5 ] && echo md5 || echo SCRAM-SHA-256) (BENCH_AUTH=$BENCH_AUTH), direct uses trust; PGSSLMODE=$PGSSLMODE"
  echo "- command: BENCH_SECONDS=$BENCH_SECONDS BENCH_WARMUP=$BENCH_WARMUP BENCH_ROUNDS=$BENCH_ROUNDS POOL_SIZE=$POOL_SIZE BENCH_QUIET_WAIT=${BENCH_QUIET_WAIT:-0} bench/run.sh"
  echo "- targets: $BENCH_TARGETS; workloads: $BENCH_WORKLOADS"
  echo
} >"$md"

echo "run,workload,clients,round,position,target,tps,lat_avg_ms,p50_ms,p99_ms,failed,status,bg_cpu_pct,bg_after_pct,note" >"$csv"
row() { # workload clients round position target tps lat p50 p99 failed status note
  local note=${12//,/;}
  echo "$stamp,$1,$2,$3,$4,$5,$6,$7,$8,$9,${10},${11},${bg:-},${bg_after:-},${note//$'\n'/ }" >>"$csv"
}

run_pgbench() { # target clients args seconds outfile [logprefix]
  local t=$1 c=$2 args=$3 secs=$4 out=$5 lp=${6:-} j=$BENCH_THREADS pw=""
  [ "$c" -lt "$j" ] && j=$c
  [ "$t" = direct ] || pw=$BENCH_PASSWORD
  # shellcheck disable=SC2086
  PGPASSWORD=$pw timeout $((secs + 120)) pgbench -n $args -c "$c" -j "$j" -T "$secs" \
    ${lp:+-l --log-prefix="$lp"} -h 127.0.0.1 -p "$(target_port "$t")" -U "$(target_user "$t")" \
    "$BENCH_DB" >"$out" 2>&1
}

# Busy % of all CPUs over one second while none of the benchmark's processes run: work that is not
# ours (a build, tests) competing for the 2 cores. Sampled right before (bg_cpu_pct) and right after
# (bg_after_pct) each measured run; high values in either mean that run shared the CPU.
bg_cpu() {
  local a b
  a=$(awk '/^cpu / {print $2+$3+$4+$7+$8+$9, $2+$3+$4+$5+$6+$7+$8+$9}' /proc/stat)
  sleep 1
  b=$(awk '/^cpu / {print $2+$3+$4+$7+$8+$9, $2+$3+$4+$5+$6+$7+$8+$9}' /proc/stat)
  awk -v a="$a" -v b="$b" 'BEGIN {split(a, x, " "); split(b, y, " ");
    d = y[2] - x[2]; printf "%.0f", (d > 0 ? 100 * (y[1] - x[1]) / d : 0)}'
}
# BENCH_QUIET_WAIT=N: before each run wait up to N seconds for background CPU below 20%.
wait_quiet() {
  local deadline=$((SECONDS + ${BENCH_QUIET_WAIT:-0}))
  bg=$(bg_cpu)
  while [ "$bg" -ge 20 ] && [ "$SECONDS" -lt "$deadline" ]; do bg=$(bg_cpu); done
}

# --- main loop --------------------------------------------------------------------------------------
rot=0
total_runs=0
for wl in $BENCH_WORKLOADS; do
  def=$(workload_def "$wl") || { log "unknown workload $wl"; exit 2; }
  IFS='|' read -r clients args want_log <<<"$def"
  for round in $(seq 1 "$BENCH_ROUNDS"); do
    n=${#targets[@]}
    order=()
    for i in $(seq 0 $((n - 1))); do order+=("${targets[$(( (i + rot) % n ))]}"); done
    rot=$((rot + 1))
    pos=0
    for t in "${order[@]}"; do
      pos=$((pos + 1))
      bg=""; bg_after=""
      if [ "${AVAIL[$t]}" != 1 ]; then
        row "$wl" "$clients" "$round" "$pos" "$t" "" "" "" "" 0 skipped "${NOTE[$t]}"; continue
      fi
      if [ "$t" = direct ]; then
        head=$(direct_headroom)
        if [ "$clients" -gt "$head" ]; then
          msg="max_connections=$max_conn"
          [ "$round" = 1 ] && log "SKIPPING direct for $wl: max_connections=$max_conn leaves $head free slots < $clients clients"
          row "$wl" "$clients" "$round" "$pos" "$t" "" "" "" "" 0 skipped "$msg"; continue
        fi
      fi
      wait_quiet
      # Same maintenance before every run, done directly (pgbench itself runs with -n): TPC-B
      # gets what pgbench's default vacuum step does, plus a checkpoint so none lands mid-run by chance.
      if [ -z "$args" ]; then
        psql_direct -c 'VACUUM pgbench_branches' -c 'VACUUM pgbench_tellers' \
          -c 'TRUNCATE pgbench_history' -c 'CHECKPOINT' >/dev/null
      fi
      log "$wl round $round/$BENCH_ROUNDS: $t (clients=$clients ${args:-tpcb}) [background cpu ${bg}%]"
      if ! target_start "$t" 2>"$work/start.err"; then
        log "could not start $t: $(tail -n 3 "$work/start.err")"
        row "$wl" "$clients" "$round" "$pos" "$t" "" "" "" "" 0 error "start failed: $(tail -n 1 "$work/start.err")"
        continue
      fi
      started=$t
      [ "$BENCH_WARMUP" -gt 0 ] && run_pgbench "$t" "$clients" "$args" "$BENCH_WARMUP" "$work/warm.out" || true
      lp=""
      if [ "$want_log" = 1 ]; then rm -rf "$work/txlog"; mkdir -p "$work/txlog"; lp=$work/txlog/pgbench_log; fi
      rc=0
      run_pgbench "$t" "$clients" "$args" "$BENCH_SECONDS" "$work/run.out" "$lp" || rc=$?
      target_stop "$t" 2>/dev/null || true
      started=""
      bg_after=$(bg_cpu)
      read -r tps lat failed <<<"$(python3 "$BENCH_DIR/report.py" parse "$work/run.out")"
      [ "$tps" = NA ] && tps=""
      [ "$lat" = NA ] && lat=""
      p50=""; p99=""
      if [ -n "$lp" ] && [ -n "$tps" ]; then
        read -r p50 p99 _ <<<"$(python3 "$BENCH_DIR/report.py" pct "$work"/txlog/pgbench_log.*)"
      fi
      if [ -n "$tps" ]; then
        status=ok; note=""
        [ "$rc" -ne 0 ] && note="pgbench exit $rc: $(grep -m1 -iE 'error|fatal' "$work/run.out" || true)"
        log "  -> tps=$tps lat=${lat}ms${p50:+ p50=${p50}ms p99=${p99}ms} failed=$failed"
      else
        status=error; note="pgbench exit $rc: $(grep -m1 -iE 'error|fatal' "$work/run.out" || tail -n 1 "$work/run.out")"
        log "  -> ERROR: $note"
      fi
      row "$wl" "$clients" "$round" "$pos" "$t" "$tps" "$lat" "$p50" "$p99" "${failed:-0}" "$status" "$note"
      total_runs=$((total_runs + 1))
    done
  done
done

python3 "$BENCH_DIR/report.py" table "$csv" >>"$md"
echo >>"$md"
echo "Raw rows: bench/results/$stamp.csv" >>"$md"
cat "$md"
log "wrote $csv and $md ($total_runs measured runs)"
