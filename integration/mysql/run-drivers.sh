#!/usr/bin/env bash
# Runs the MySQL real-driver suites one after another against ONE endpoint in the
# environment (MYSQL_HOST 127.0.0.1, MYSQL_PORT 3306, MYSQL_USER root, MYSQL_PASSWORD, MYSQL_DATABASE
# articdbm_it, MYSQL_SSL=0/1, MYSQL_SSL_CA), prints a per-suite summary and a total line,
# and exits non-zero if any suite failed.
#
#   integration/mysql/run-drivers.sh            # python node java
#   integration/mysql/run-drivers.sh node java  # a subset
#   MYSQL_PORT=6033 MYSQL_USER=... MYSQL_PASSWORD=... integration/mysql/run-drivers.sh
# ARTICDBM_SUITE_TIMEOUT (seconds, default 900) bounds each suite as a whole.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
suites=("$@")
[ ${#suites[@]} -gt 0 ] || suites=(python node java)

"$here/install.sh" || { echo "run-drivers: install failed" >&2; exit 2; }

export MYSQL_HOST="${MYSQL_HOST:-127.0.0.1}" MYSQL_PORT="${MYSQL_PORT:-3306}" MYSQL_USER="${MYSQL_USER:-root}" \
  MYSQL_PASSWORD="${MYSQL_PASSWORD:-}" MYSQL_DATABASE="${MYSQL_DATABASE:-articdbm_it}" MYSQL_SSL="${MYSQL_SSL:-0}"
tls="off (MYSQL_SSL=0)"
[ "$MYSQL_SSL" = 1 ] && tls="on, CA ${MYSQL_SSL_CA:-<none: not verified>}"
echo "run-drivers: $MYSQL_USER@$MYSQL_HOST:$MYSQL_PORT/$MYSQL_DATABASE tls=$tls"

logdir="$(mktemp -d)"
trap 'rm -rf "$logdir"' EXIT
declare -A rc secs npass nfail nskip
total_pass=0 total_fail=0 total_skip=0 any_failed=0

num() { grep -oE "[0-9]+ $1" <<<"$2" | tail -1 | cut -d' ' -f1; }

for s in "${suites[@]}"; do
  if [ ! -x "$here/$s/run.sh" ]; then
    echo "run-drivers: no suite '$s'" >&2
    rc[$s]=2 secs[$s]=0 npass[$s]=0 nfail[$s]=1 nskip[$s]=0
    any_failed=1 total_fail=$((total_fail + 1))
    continue
  fi
  echo
  echo "=============================== $s ==============================="
  start=$(date +%s)
  # Per-test timeouts live in each suite; this bounds a whole suite against a hung endpoint.
  timeout --kill-after=15 "${ARTICDBM_SUITE_TIMEOUT:-900}" "$here/$s/run.sh" 2>&1 | tee "$logdir/$s.log"
  rc[$s]=${PIPESTATUS[0]}
  secs[$s]=$(($(date +%s) - start))
  log="$(cat "$logdir/$s.log")"
  case $s in
    python)
      line="$(grep -E '[0-9]+ (passed|failed|errors?|skipped).* in [0-9.]+s' <<<"$log" | tail -1)"
      p=$(num passed "$line"); f=$(num failed "$line"); e=$(num 'errors?' "$line"); k=$(num skipped "$line")
      f=$(( ${f:-0} + ${e:-0} )) ;;
    node)
      p=$(grep -oE '^# pass [0-9]+' <<<"$log" | tail -1 | awk '{print $3}')
      f=$(grep -oE '^# fail [0-9]+' <<<"$log" | tail -1 | awk '{print $3}')
      c=$(grep -oE '^# cancelled [0-9]+' <<<"$log" | tail -1 | awk '{print $3}')
      k=$(grep -oE '^# skipped [0-9]+' <<<"$log" | tail -1 | awk '{print $3}')
      f=$(( ${f:-0} + ${c:-0} )) ;;
    *)
      line="$(grep -E '^[0-9]+ passed, [0-9]+ failed' <<<"$log" | tail -1)"
      p=$(num passed "$line"); f=$(num failed "$line"); k=$(num skipped "$line") ;;
  esac
  p=${p:-0} f=${f:-0} k=${k:-0}
  # A suite that exited non-zero counts as at least one failure (crash, timeout kill, setup).
  if [ "${rc[$s]}" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
  [ "${rc[$s]}" -ne 0 ] && any_failed=1
  npass[$s]=$p nfail[$s]=$f nskip[$s]=$k
  total_pass=$((total_pass + p)) total_fail=$((total_fail + f)) total_skip=$((total_skip + k))
done

echo
echo "=============================== summary ==============================="
printf '%-8s %-6s %7s %7s %8s %7s\n' suite status passed failed skipped time
for s in "${suites[@]}"; do
  status=ok; [ "${rc[$s]}" -ne 0 ] && status="FAIL(${rc[$s]})"
  printf '%-8s %-6s %7s %7s %8s %6ss\n' "$s" "$status" "${npass[$s]}" "${nfail[$s]}" "${nskip[$s]}" "${secs[$s]}"
done
echo "drivers: $total_pass passed, $total_fail failed, $total_skip skipped"
exit $any_failed
