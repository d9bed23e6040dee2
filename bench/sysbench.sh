#!/usr/bin/env bash
# Side-by-side sysbench: direct MariaDB vs ArticDBM's MySQL front end, in ONE run.
# Workloads oltp_point_select, oltp_read_only, oltp_read_write at 1, 16 and 64 threads; for each,
# BENCH_ROUNDS rounds, the targets alternating order from round to round; the reported number is
# the MEDIAN of the rounds. A target that does not answer is skipped (rows marked skipped).
# Tables are prepared once, directly (SB_TABLES x SB_TABLE_SIZE rows in database SB_DB).
#
# Output: markdown on stdout and in bench/results/<stamp>-sysbench.md, rows in <stamp>-sysbench.csv.
#
# Environment (defaults):
#   SB_SECONDS=10  SB_WARMUP=2  BENCH_ROUNDS=3  BENCH_QUIET_WAIT=0 (as bench/run.sh)
#   SB_TESTS="oltp_point_select oltp_read_only oltp_read_write"  SB_THREADS="1 16 64"
#   SB_TABLES=4  SB_TABLE_SIZE=10000  SB_DB=articdbm_sysbench  SB_PS_MODE=auto (sysbench --db-ps-mode)
#   SB_IGNORE_ERRORS=auto (--mysql-ignore-errors: auto = deadlocks 1213/1020/1205 retried and counted
#                     in the errors column; "none" makes any error fatal)
#   direct:   SB_MYSQL_HOST=127.0.0.1 SB_MYSQL_PORT=3306 SB_MYSQL_USER=root SB_MYSQL_PASSWORD=
#   articdbm: ARTICDBM_MYSQL_HOST=127.0.0.1 ARTICDBM_MYSQL_PORT=6033 ARTICDBM_MYSQL_USER=$SB_MYSQL_USER
#             ARTICDBM_MYSQL_PASSWORD=$SB_MYSQL_PASSWORD (a proxy already running; not started here)
#   haproxy:  HAPROXY_PORT=26460 (started and stopped here by bench/haproxy.sh: a pure TCP relay to the
#             direct server, the floor for any proxy on this machine; clients log in as for direct)
#   BENCH_TARGETS="direct haproxy articdbm"
set -euo pipefail
# shellcheck source=bench/common.sh
. "$(dirname "$0")/common.sh"

SB_SECONDS=${SB_SECONDS:-10}
SB_WARMUP=${SB_WARMUP:-2}
BENCH_ROUNDS=${BENCH_ROUNDS:-3}
SB_TESTS=${SB_TESTS:-oltp_point_select oltp_read_only oltp_read_write}
SB_THREADS=${SB_THREADS:-1 16 64}
SB_TABLES=${SB_TABLES:-4}
SB_TABLE_SIZE=${SB_TABLE_SIZE:-10000}
SB_DB=${SB_DB:-articdbm_sysbench}
SB_PS_MODE=${SB_PS_MODE:-auto}
SB_IGNORE_ERRORS=${SB_IGNORE_ERRORS:-auto}
BENCH_TARGETS=${BENCH_TARGETS:-direct haproxy articdbm}
H_PORT=${HAPROXY_PORT:-26460}
D_HOST=${SB_MYSQL_HOST:-127.0.0.1} D_PORT=${SB_MYSQL_PORT:-3306}
D_USER=${SB_MYSQL_USER:-root} D_PW=${SB_MYSQL_PASSWORD:-}
A_HOST=${ARTICDBM_MYSQL_HOST:-127.0.0.1} A_PORT=${ARTICDBM_MYSQL_PORT:-6033}
A_USER=${ARTICDBM_MYSQL_USER:-$D_USER} A_PW=${ARTICDBM_MYSQL_PASSWORD:-$D_PW}

log() { printf '[sysbench] %s\n' "$*" >&2; }
command -v sysbench >/dev/null || "$BENCH_DIR/../integration/mysql/install.sh"
raise_nofile 65536

t_host() { case $1 in direct) echo "$D_HOST" ;; haproxy) echo 127.0.0.1 ;; *) echo "$A_HOST" ;; esac; }
t_port() { case $1 in direct) echo "$D_PORT" ;; haproxy) echo "$H_PORT" ;; *) echo "$A_PORT" ;; esac; }
t_user() { case $1 in direct | haproxy) echo "$D_USER" ;; *) echo "$A_USER" ;; esac; }
t_pw() { case $1 in direct | haproxy) echo "$D_PW" ;; *) echo "$A_PW" ;; esac; }
msql() { # target sql
  MYSQL_PWD=$(t_pw "$1") mariadb --no-defaults --protocol=TCP -h "$(t_host "$1")" -P "$(t_port "$1")" \
    -u "$(t_user "$1")" --connect-timeout=3 -N -B -e "$2"
}
sb() { # target test threads seconds cmd
  sysbench "$2" --db-driver=mysql --mysql-host="$(t_host "$1")" --mysql-port="$(t_port "$1")" \
    --mysql-user="$(t_user "$1")" --mysql-password="$(t_pw "$1")" --mysql-db="$SB_DB" \
    --tables="$SB_TABLES" --table-size="$SB_TABLE_SIZE" --threads="$3" --time="$4" \
    --db-ps-mode="$SB_PS_MODE" --mysql-ignore-errors="$SB_IGNORE_ERRORS" --report-interval=0 --histogram=off "$5"
}

# --- targets ---
declare -A AVAIL NOTE
targets=()
haproxy_started=0
stop_haproxy() { [ "$haproxy_started" = 1 ] && "$BENCH_DIR/haproxy.sh" stop "$H_PORT" || true; }
for t in $BENCH_TARGETS; do
  case $t in direct | articdbm) ;; haproxy)
    if "$BENCH_DIR/haproxy.sh" start "$H_PORT" "$D_HOST:$D_PORT"; then haproxy_started=1; sleep 0.5; fi ;;
  *) log "unknown target $t"; exit 2 ;; esac
  if msql "$t" 'SELECT 1' >/dev/null 2>&1; then AVAIL[$t]=1; else
    AVAIL[$t]=0; NOTE[$t]="$(t_host "$t"):$(t_port "$t") not reachable"; log "SKIPPING $t: ${NOTE[$t]}"
  fi
  targets+=("$t")
done
[ "${AVAIL[direct]:-0}" = 1 ] || { log "direct MariaDB must be reachable (to prepare the tables)"; exit 1; }

# --- prepare once (directly) ---
have=$(msql direct "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA='$SB_DB' AND TABLE_NAME LIKE 'sbtest%'" || echo 0)
rows=$(msql direct "SELECT COUNT(*) FROM \`$SB_DB\`.sbtest$SB_TABLES" 2>/dev/null || echo 0)
if [ "$have" != "$SB_TABLES" ] || [ "$rows" != "$SB_TABLE_SIZE" ]; then
  log "preparing $SB_TABLES tables x $SB_TABLE_SIZE rows in $SB_DB"
  msql direct "DROP DATABASE IF EXISTS \`$SB_DB\`; CREATE DATABASE \`$SB_DB\`"
  sb direct oltp_common 1 1 prepare >/dev/null
fi

stamp=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$BENCH_DIR/results"
csv=$BENCH_DIR/results/$stamp-sysbench.csv
md=$BENCH_DIR/results/$stamp-sysbench.md
work=$(mktemp -d /tmp/articdbm-sysbench.XXXXXX)
trap 'rm -rf "$work"; stop_haproxy' EXIT

bg_cpu() { # busy % of all CPUs over one second (as bench/run.sh)
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

echo "run,test,threads,round,position,target,tps,qps,lat_avg_ms,p95_ms,errors,reconnects,status,bg_cpu_pct,note" >"$csv"
row() { local note=${14//,/;}; echo "$stamp,$1,$2,$3,$4,$5,$6,$7,$8,$9,${10},${11},${12},${13},${note//$'\n'/ }" >>"$csv"; }

rot=0
for test in $SB_TESTS; do
  for th in $SB_THREADS; do
    for round in $(seq 1 "$BENCH_ROUNDS"); do
      n=${#targets[@]} order=()
      for i in $(seq 0 $((n - 1))); do order+=("${targets[$(((i + rot) % n))]}"); done
      rot=$((rot + 1)) pos=0
      for t in "${order[@]}"; do
        pos=$((pos + 1))
        if [ "${AVAIL[$t]}" != 1 ]; then row "$test" "$th" "$round" "$pos" "$t" "" "" "" "" "" "" skipped "" "${NOTE[$t]}"; continue; fi
        wait_quiet
        log "$test threads=$th round $round/$BENCH_ROUNDS: $t [background cpu ${bg}%]"
        [ "$SB_WARMUP" -gt 0 ] && { sb "$t" "$test" "$th" "$SB_WARMUP" run >/dev/null 2>&1 || true; }
        rc=0
        timeout $((SB_SECONDS + 60)) bash -c "$(declare -f sb t_host t_port t_user t_pw); $(declare -p D_HOST D_PORT D_USER D_PW H_PORT A_HOST A_PORT A_USER A_PW SB_DB SB_TABLES SB_TABLE_SIZE SB_PS_MODE SB_IGNORE_ERRORS); sb $t $test $th $SB_SECONDS run" >"$work/out" 2>&1 || rc=$?
        read -r tps qps lat p95 errs recon < <(awk '
          /transactions:/ {gsub(/[(]/, "", $3); tps = $3}
          /queries:/ && /per sec/ {gsub(/[(]/, "", $2); qps = $2}
          /ignored errors:/ {e = $3}
          /reconnects:/ {r = $2}
          /avg:/ {lat = $2}
          /95th percentile:/ {p95 = $3}
          END {printf "%s %s %s %s %s %s\n", (tps == "" ? "NA" : tps), (qps == "" ? "NA" : qps), (lat == "" ? "NA" : lat), (p95 == "" ? "NA" : p95), (e == "" ? 0 : e), (r == "" ? 0 : r)}' "$work/out")
        if [ "$rc" = 0 ] && [ "$tps" != NA ]; then
          status=ok note=""
          log "  -> tps=$tps qps=$qps avg=${lat}ms p95=${p95}ms errors=$errs"
        else
          status=error note="exit $rc: $(grep -m1 -iE 'error|fatal' "$work/out" || tail -n 1 "$work/out")"
          log "  -> ERROR: $note"
          [ "$tps" = NA ] && tps="" qps="" lat="" p95=""
        fi
        row "$test" "$th" "$round" "$pos" "$t" "$tps" "$qps" "$lat" "$p95" "$errs" "$recon" "$status" "$bg" "$note"
      done
    done
  done
done

{
  echo "# sysbench run $stamp"
  echo
  echo "- machine: $(nproc) cores, sysbench runs on the same machine; $(sysbench --version)"
  echo "- direct: MariaDB $(msql direct 'SELECT VERSION()') at $D_HOST:$D_PORT; articdbm: $A_HOST:$A_PORT (${NOTE[articdbm]:-reachable})"
  [ "$haproxy_started" = 1 ] && echo "- haproxy: $(haproxy -v 2>/dev/null | head -n 1 | cut -d' ' -f1-3), mode tcp on 127.0.0.1:$H_PORT, a byte relay with one server connection per client (bench/haproxy.sh)"
  echo "- $SB_TABLES tables x $SB_TABLE_SIZE rows, --db-ps-mode=$SB_PS_MODE, ${SB_SECONDS}s per run (+${SB_WARMUP}s warm-up), median of $BENCH_ROUNDS rounds, alternating target order"
  echo
  python3 - "$csv" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
keys = []
for r in rows:
    k = (r["test"], int(r["threads"]))
    if k not in keys:
        keys.append(k)
targets = list(dict.fromkeys(r["target"] for r in rows))
def med(test, th, t, col):
    v = [float(r[col]) for r in rows if r["test"] == test and int(r["threads"]) == th and r["target"] == t and r["status"] == "ok" and r[col]]
    return statistics.median(v) if v else None
hdr = ["test", "threads"] + [f"{t} tps" for t in targets] + [f"{t} p95 ms" for t in targets] + [f"{t}/{targets[0]}" for t in targets[1:]] + ["errors"]
print("| " + " | ".join(hdr) + " |")
print("|" + "---|" * len(hdr))
for test, th in keys:
    tps = [med(test, th, t, "tps") for t in targets]
    p95 = [med(test, th, t, "p95_ms") for t in targets]
    errs = sum(int(r["errors"] or 0) for r in rows if r["test"] == test and int(r["threads"]) == th)
    cells = [test, str(th)] + [f"{x:.0f}" if x is not None else "-" for x in tps] + [f"{x:.2f}" if x is not None else "-" for x in p95]
    for x in tps[1:]:
        cells.append(f"{x / tps[0]:.2f}x" if tps[0] and x else "-")
    cells.append(str(errs))
    print("| " + " | ".join(cells) + " |")
PY
  echo
  echo "Raw rows: bench/results/$stamp-sysbench.csv"
} >"$md"
cat "$md"
log "wrote $csv and $md"
