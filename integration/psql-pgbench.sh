#!/usr/bin/env bash
# psql and pgbench through a running proxy (PGHOST/PGPORT/PGUSER/PGPASSWORD set by the caller):
# pgbench -i, then the default (TPC-B) and select-only workloads with zero failed transactions,
# and the same row counts through the proxy as directly (history rows = transactions processed).
# Also psql basics: \copy in and out, an error then recovery, the admin console.
set -uo pipefail
mode=${ARTICDBM_POOL_MODE:?}
db="articdbm_it_pgbench_${mode}_$$"
pass=0 fail=0
ok() { echo "  ok   $1"; pass=$((pass + 1)); }
bad() { echo "  FAIL $1"; fail=$((fail + 1)); }
direct() { psql -X -q -At -h 127.0.0.1 -p 5432 -U postgres "$@"; }
proxied() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$db" "$@"; }

direct -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
trap 'direct -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1' EXIT

if pgbench -i -s 2 -q -d "$db" >/tmp/pgbench-init.$$ 2>&1; then ok "pgbench -i through the proxy"; else bad "pgbench -i"; cat /tmp/pgbench-init.$$; fi
rm -f /tmp/pgbench-init.$$

run_pgbench() { # label, args...
  local label=$1; shift
  local out
  out=$(pgbench -n -T 5 -c 8 -j 8 "$@" -d "$db" 2>&1)
  local processed failed
  processed=$(grep -oE 'number of transactions actually processed: [0-9]+' <<<"$out" | grep -oE '[0-9]+$')
  failed=$(grep -oE 'number of failed transactions: [0-9]+' <<<"$out" | grep -oE '[0-9]+' | head -1)
  if [ -n "$processed" ] && [ "$processed" -gt 0 ] && [ "${failed:-0}" = 0 ] && ! grep -q 'error' <<<"$out"; then
    ok "pgbench $label: $processed transactions, 0 failed ($(grep -oE 'tps = [0-9.]+' <<<"$out" | head -1))"
    echo "$processed"
  else
    bad "pgbench $label"; echo "$out" | tail -5 >&2; echo 0
  fi
}

before=$(direct -d "$db" -c "SELECT count(*) FROM pgbench_history")
n1=$(run_pgbench "TPC-B simple" -M simple | tail -1)
n2=$(run_pgbench "TPC-B extended" -M extended | tail -1)
n3=$(run_pgbench "TPC-B prepared" -M prepared | tail -1)
run_pgbench "select-only" -S -M simple >/dev/null
run_pgbench "select-only prepared" -S -M prepared >/dev/null
after=$(direct -d "$db" -c "SELECT count(*) FROM pgbench_history")
expected=$((before + n1 + n2 + n3))
[ "$after" = "$expected" ] && ok "history rows = transactions processed ($after)" || bad "history rows $after != $expected"
for t in pgbench_accounts pgbench_branches pgbench_tellers pgbench_history; do
  a=$(direct -d "$db" -c "SELECT count(*), sum(abs(hashtext(t::text)))::bigint FROM $t t")
  b=$(proxied -c "SELECT count(*), sum(abs(hashtext(t::text)))::bigint FROM $t t")
  [ "$a" = "$b" ] && ok "$t identical through the proxy and direct" || bad "$t differs: direct $a proxy $b"
done
bal_a=$(proxied -c "SELECT sum(abalance) FROM pgbench_accounts")
bal_h=$(proxied -c "SELECT coalesce(sum(delta),0) FROM pgbench_history")
[ "$bal_a" = "$bal_h" ] && ok "account balances match history deltas" || bad "balances $bal_a != history $bal_h"

tmp=$(mktemp)
seq 1 5000 | awk '{print $1"\tname"$1}' >"$tmp"
if proxied -c "CREATE TABLE copy_t(id int, name text)" -c "\\copy copy_t FROM '$tmp'" \
   && [ "$(proxied -c 'SELECT count(*) FROM copy_t')" = 5000 ] \
   && [ "$(proxied -c "\\copy copy_t TO STDOUT" | wc -l)" = 5000 ]; then
  ok "psql \\copy in and out (5000 rows)"
else bad "psql \\copy"; fi
rm -f "$tmp"
err=$(psql -X -At -d "$db" -c "SELECT 1/0" 2>&1)
grep -q 'division by zero' <<<"$err" && [ "$(proxied -c 'SELECT 42')" = 42 ] && ok "error then recovery" || bad "error then recovery: $err"
if psql -X -At -d articdbm_admin -c "SHOW POOLS" | grep -q "$db"; then ok "admin console SHOW POOLS"; else bad "admin console"; fi

echo "psql-pgbench ($mode): $pass passed, $fail failed"
[ "$fail" = 0 ]
