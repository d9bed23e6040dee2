#!/usr/bin/env bash
# Runs the real-client checks through a real ArticDBM proxy, once in session mode and once in
# transaction mode: psql + pgbench (integration/psql-pgbench.sh) and the driver matrix
# (integration/run-drivers.sh: psycopg 3, psycopg2, asyncpg, node-postgres, pgjdbc) including
# TLS verify-full against a CA made for the run; plus auth checks with psql (SCRAM and md5, right
# and wrong passwords, unknown user) and a clean SIGTERM shutdown.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
export ARTICDBM_BIN="${ARTICDBM_BIN:-$root/target/debug/articdbm}"
. "$here/lib-proxy.sh"
[ -x "$ARTICDBM_BIN" ] || (cd "$root" && cargo build -q -p articdbm) || exit 2

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
make_tls "$work"
app_pw=$(random_password)
md5_pw=$(random_password)
app_v=$(printf '%s\n' "$app_pw" | "$ARTICDBM_BIN" hash-password)
md5_v=$(printf '%s\n' "$md5_pw" | "$ARTICDBM_BIN" hash-password --method md5 --user app_md5)
modes=${ARTICDBM_IT_MODES:-"session transaction"}
status=0
summary=()

for mode in $modes; do
  port=$(free_port)
  write_config "$work/$mode.toml" "$port" "$mode" "$work" "$app_v" "$md5_v"
  echo "=== ArticDBM in $mode mode on 127.0.0.1:$port"
  start_proxy "$work/$mode.toml" "$port" "$work/$mode.log" || { status=1; continue; }
  export PGHOST=127.0.0.1 PGPORT=$port PGUSER=app PGPASSWORD=$app_pw PGDATABASE=test ARTICDBM_POOL_MODE=$mode

  auth_fail=0
  check_auth() { # label, expect(ok|fail), env...
    local label=$1 expect=$2; shift 2
    local out; out=$(env "$@" psql -X -At -c "SELECT 'in'" 2>&1)
    if [ "$expect" = ok ] && [ "$out" = in ]; then echo "  ok   auth: $label"
    elif [ "$expect" = fail ] && grep -q 'password authentication failed' <<<"$out"; then echo "  ok   auth: $label (28P01)"
    else echo "  FAIL auth: $label: $out"; auth_fail=1; fi
  }
  check_auth "SCRAM right password" ok
  check_auth "SCRAM wrong password" fail PGPASSWORD=wrong
  check_auth "md5 right password" ok PGUSER=app_md5 PGPASSWORD="$md5_pw"
  check_auth "md5 wrong password" fail PGUSER=app_md5 PGPASSWORD=wrong
  check_auth "unknown user" fail PGUSER=nobody
  check_auth "TLS verify-full" ok PGSSLMODE=verify-full PGSSLROOTCERT="$work/ca.pem" PGHOST=localhost
  [ $auth_fail = 0 ] && summary+=("auth($mode): ok") || { summary+=("auth($mode): FAILED"); status=1; }

  if "$here/psql-pgbench.sh"; then summary+=("psql-pgbench($mode): ok"); else summary+=("psql-pgbench($mode): FAILED"); status=1; fi
  if PGSSLROOTCERT="$work/ca.pem" PGSSLHOST=localhost "$here/run-drivers.sh"; then
    summary+=("drivers($mode): ok")
  else
    summary+=("drivers($mode): FAILED"); status=1
    echo "--- proxy log ($mode), last 80 lines:"; tail -n 80 "$work/$mode.log"
  fi
  if [ "$mode" = transaction ] && [ "${ARTICDBM_IT_IDLE_CLIENTS:-10000}" -gt 0 ]; then
    n=${ARTICDBM_IT_IDLE_CLIENTS:-10000}
    out=$(python3 "$root/bench/idle_clients.py" --port "$port" --user app --password "$app_pw" \
      --db test --pid "$PROXY_PID" -n "$n" --hold 3 2>&1)
    echo "$out"
    rss=$(grep -oE 'with clients: VmRSS [0-9.]+' <<<"$out" | grep -oE '[0-9.]+$')
    if grep -q "connected $n/$n" <<<"$out" && grep -q 'probe with .* SELECT 1' <<<"$out" \
       && ! grep -q FAILED <<<"$out" && awk -v r="${rss:-999999}" 'BEGIN{exit !(r <= 150)}'; then
      summary+=("idle clients($mode): $n connected, RSS ${rss} MiB <= 150 MiB, still serving")
    else
      summary+=("idle clients($mode): FAILED (RSS ${rss:-?} MiB)"); status=1
    fi
  fi
  if stop_proxy; then summary+=("shutdown($mode): clean"); else summary+=("shutdown($mode): FAILED"); status=1; fi
  if grep -qi 'panicked' "$work/$mode.log"; then
    summary+=("panic in proxy log ($mode)"); status=1; cat "$work/$mode.log"
  fi
done

echo
echo "=== through-proxy summary"
printf '  %s\n' "${summary[@]}"
exit $status
