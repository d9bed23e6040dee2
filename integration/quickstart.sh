#!/usr/bin/env bash
# The zero-configuration start: `articdbm proxy` with no config creates the data directory, prints
# a generated admin password once (stored only as verifiers, file mode 0600) and serves the embedded
# SQLite database `articdbm` to psql and the mysql CLI with it, printing both commands ready to paste;
# a second start reuses the data (rows written before are there) and prints no password; a wrong
# password is refused.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export ARTICDBM_BIN="${ARTICDBM_BIN:-$here/../target/debug/articdbm}"
. "$here/lib-proxy.sh"
dir=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null; rm -rf "$dir"' EXIT
cd "$dir"
port=$(free_port)
export ARTICDBM_PROXY__PG_LISTEN="127.0.0.1:$port"
# The MySQL front end listens by default too (6033): a free port, so the check never depends
# on 6033 being unused on the machine.
mport=$(free_port)
export ARTICDBM_PROXY__MYSQL_LISTEN="127.0.0.1:$mport"
pass=0 fail=0
check() { if eval "$2"; then echo "  ok   $1"; pass=$((pass+1)); else echo "  FAIL $1"; fail=$((fail+1)); fi; }
ready() { for _ in $(seq 1 100); do pg_isready -q -h 127.0.0.1 -p "$port" && return 0; sleep 0.1; done; return 1; }

"$ARTICDBM_BIN" proxy >first.log 2>&1 & pid=$!
ready
pw=$(grep -oE 'store it now\): [^ ]+' first.log | awk '{print $NF}')
check "first start prints a generated password" '[ ${#pw} -ge 20 ]'
check "only verifiers are stored" 'grep -qF "SCRAM-SHA-256\$" articdbm-data/quickstart.toml && grep -qF "caching_sha2\$" articdbm-data/quickstart.toml && ! grep -q "$pw" articdbm-data/quickstart.toml'
check "quickstart file is private (0600)" '[ "$(stat -c %a articdbm-data/quickstart.toml)" = 600 ]'
check "the printed psql command names the SQLite database" 'grep -qF "psql \"host=127.0.0.1 port=$port user=admin dbname=articdbm\"" first.log'
check "the printed mysql command names it too" 'grep -qE "mysql -h 127.0.0.1 -P $mport -u admin -p articdbm" first.log'
check "psql works with the printed password" '[ "$(PGPASSWORD=$pw psql -X -At "host=127.0.0.1 port=$port user=admin dbname=articdbm" -c "select 41+1")" = 42 ]'
check "psql writes to the SQLite database" 'PGPASSWORD=$pw psql -X -q -v ON_ERROR_STOP=1 "host=127.0.0.1 port=$port user=admin dbname=articdbm" -c "create table notes (id integer primary key, body text not null)" -c "insert into notes (body) values ('"'"'from psql'"'"')"'
check "the database file is in the data directory" '[ -s articdbm-data/articdbm.db ]'
check "the mysql CLI reads what psql wrote" '[ "$(MYSQL_PWD=$pw mysql --no-defaults --protocol=TCP -h 127.0.0.1 -P "$mport" -u admin -N -B articdbm -e "select body from notes")" = "from psql" ]'
check "the mysql CLI writes too" 'MYSQL_PWD=$pw mysql --no-defaults --protocol=TCP -h 127.0.0.1 -P "$mport" -u admin articdbm -e "insert into notes (body) values ('"'"'from mysql'"'"')"'
wrong=$(PGPASSWORD=wrong psql -X -At "host=127.0.0.1 port=$port user=admin dbname=articdbm" -c "select 1" 2>&1)
check "a wrong password is refused" 'grep -q "password authentication failed" <<<"$wrong"'
kill -TERM "$pid"; wait "$pid"
check "SIGTERM exits cleanly" '[ $? = 0 ]'

"$ARTICDBM_BIN" proxy >second.log 2>&1 & pid=$!
ready
check "second start prints no password" '! grep -qi password second.log'
check "same password still works, rows written before are there" '[ "$(PGPASSWORD=$pw psql -X -At "host=127.0.0.1 port=$port user=admin dbname=articdbm" -c "select count(*) from notes")" = 2 ]'
kill -TERM "$pid"; wait "$pid"
echo "quickstart: $pass passed, $fail failed"
[ "$fail" = 0 ]
