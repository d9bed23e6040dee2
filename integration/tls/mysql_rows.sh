#!/usr/bin/env bash
# The mysql CLI over TLS (CA verified, name localhost), ITERATIONS times a SELECT of 20 rows of
# 50-9,000 bytes; every row's length is checked.
#   MYSQL_PWD=... tls/mysql_rows.sh PORT CA_PEM USER DATABASE ITERATIONS
set -euo pipefail
port=$1 ca=$2 user=$3 db=$4 iterations=$5
# One line per iteration: the expected lengths, a tab, the query.
plan=$(python3 - "$iterations" <<'PY'
import random, sys
for it in range(int(sys.argv[1])):
    r = random.Random(it)
    sizes = [r.randint(50, 9000) for _ in range(20)]
    rows = " UNION ALL ".join(f"SELECT {k} AS i, REPEAT('x', {n}) AS v" for k, n in enumerate(sizes))
    print(" ".join(map(str, sizes)) + "\t" + f"SELECT LENGTH(v), v FROM ({rows}) AS t ORDER BY i")
PY
)
i=0
while IFS=$'\t' read -r sizes sql; do
  i=$((i + 1))
  got=$(mysql -h localhost --protocol=tcp -P "$port" -u "$user" --ssl --ssl-ca="$ca" \
    --ssl-verify-server-cert -N -B "$db" -e "$sql" \
    | awk '{ if (length($2) != $1) bad = 1; printf "%s%s", sep, length($2); sep = " " } END { exit bad }')
  if [ "$got" != "$sizes" ]; then
    echo "iteration $i: got lengths $got, expected $sizes"
    exit 1
  fi
done <<<"$plan"
echo "mysql CLI $(mysql --version | awk '{print $5}' | tr -d ,): $i iterations"
