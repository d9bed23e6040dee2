#!/usr/bin/env bash
# The embedded SQLite backend end to end, through a real `articdbm proxy` serving one SQLite
# database file over both wire protocols (no PostgreSQL or MariaDB server involved):
#   psql and the mysql CLI (CRUD, \dt and \d, SHOW TABLES, errors with their codes);
#   psycopg 3 with server-side prepares (text and binary), asyncpg, SQLAlchemy 2 (Core and ORM),
#   PyMySQL: every mapped type round-tripped (64-bit integers, floats, unicode text, a 10 MB
#   blob, NULLs, booleans, decimals, dates, timestamps), errors 23505/23502/23503/42601 and
#   1062/1048/1452/1064 with the session usable afterwards;
#   a table made by SQLite itself read over both protocols, and rows crossing protocols;
#   32 clients of both protocols at once for 10 s (no lock/busy error, nothing lost); the writer
#   lock (readers never wait, writers queue, 55P03/1205 after busy_timeout_ms, a vanished
#   client's transaction rolled back);
#   100 MB results streamed over both protocols in bounded proxy memory;
#   kill -9 of the proxy during writes, restart, every acknowledged COMMIT still there;
#   the file afterwards read by python's sqlite3 (integrity_check ok, WAL, storage classes).
# One line per check (ok / FAIL), a closing "N passed, N failed" line, exit 1 on any failure.
# Env: ARTICDBM_BIN (default target/debug/articdbm, built when missing), ARTICDBM_VENV
# (default <repo>/.venv), SQLITE_IT_CONC_SECONDS (10), SQLITE_IT_VERBOSE=1 (timings, traces).
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
export ARTICDBM_BIN="${ARTICDBM_BIN:-$root/target/debug/articdbm}"
. "$here/lib-proxy.sh"
[ -x "$ARTICDBM_BIN" ] || (cd "$root" && cargo build -q -p articdbm) || exit 2
suite="$here/sqlite"

# Python drivers: the repo's venv (as integration/python), reinstalled when requirements change.
venv="${ARTICDBM_VENV:-$root/.venv}"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv" || exit 2
want="$(sha256sum "$suite/requirements.txt" | cut -d' ' -f1)"
if [ "$(cat "$venv/.integration-sqlite.sha256" 2>/dev/null)" != "$want" ]; then
  "$venv/bin/python" -m pip install -q --disable-pip-version-check -r "$suite/requirements.txt" || exit 2
  echo "$want" >"$venv/.integration-sqlite.sha256"
fi
py="$venv/bin/python"

work=$(mktemp -d)
PROXY_PID=
cleanup() {
  [ -n "$PROXY_PID" ] && kill -KILL "$PROXY_PID" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
data="$work/data"
mkdir -p "$data"
db=itdb
dbfile="$data/it.db"
pw=$(random_password)
verifiers=$(printf '%s\n' "$pw" | "$ARTICDBM_BIN" hash-password --toml) || { echo "hash-password failed" >&2; exit 2; }
pg_port=$(free_port)
my_port=$(free_port)
cat >"$work/proxy.toml" <<CONF
data_dir = "$data"

[proxy]
pg_listen = "127.0.0.1:$pg_port"
mysql_listen = "127.0.0.1:$my_port"
shutdown_grace_secs = 10

[users.app]
$(grep -E '^(password|mysql_password) = ' <<<"$verifiers")

[databases.$db]
kind = "sqlite"
path = "it.db"

# No path: the default file "<name>.db" in data_dir, created at start.
[databases.fresh]
kind = "sqlite"

# A short lock wait, to see the timeout errors (55P03 / 1205).
[databases.short]
kind = "sqlite"
busy_timeout_ms = 500
CONF

passed=0 failed=0
check() { # label, then a command that succeeds for ok; FAIL shows $why
  local label=$1; shift
  why=""
  if "$@"; then echo "  ok   $label"; passed=$((passed + 1))
  else echo "  FAIL $label${why:+: $why}"; failed=$((failed + 1)); fi
}
# add_counts NAME RC FILE: adds the closing "<name>: N passed, N failed" line of a Python suite.
add_counts() {
  local line p f
  line=$(grep -E '^[a-z]+: [0-9]+ passed, [0-9]+ failed$' "$3" | tail -1)
  p=$(grep -oE '[0-9]+ passed' <<<"$line" | cut -d' ' -f1)
  f=$(grep -oE '[0-9]+ failed' <<<"$line" | cut -d' ' -f1)
  passed=$((passed + ${p:-0})) failed=$((failed + ${f:-0}))
  if [ "$2" -ne 0 ] && [ "${f:-0}" -eq 0 ]; then
    echo "  FAIL $1: exited $2 without a failed check (crashed or timed out)"
    failed=$((failed + 1))
  fi
}
# run_py NAME TIMEOUT SCRIPT ARGS...: runs a Python suite, output shown as it comes.
run_py() {
  local name=$1 limit=$2; shift 2
  timeout --kill-after=10 "$limit" "$py" "$@" 2>&1 | tee "$work/$name.out"
  add_counts "$name" "${PIPESTATUS[0]}" "$work/$name.out"
}
start_sqlite_proxy() { # LOG: starts the proxy, waits for both listeners
  (ulimit -n "$(ulimit -Hn)" 2>/dev/null
   ARTICDBM_LOGGING__LEVEL="${ARTICDBM_LOGGING__LEVEL:-info}" exec "$ARTICDBM_BIN" proxy --config "$work/proxy.toml") >"$1" 2>&1 &
  PROXY_PID=$!
  for _ in $(seq 1 150); do
    if pg_isready -q -h 127.0.0.1 -p "$pg_port" && (echo >"/dev/tcp/127.0.0.1/$my_port") 2>/dev/null; then return 0; fi
    kill -0 "$PROXY_PID" 2>/dev/null || break
    sleep 0.1
  done
  why="not listening on both ports; log: $(tail -n 5 "$1" | tr '\n' ' ')"
  return 1
}

export SQLITE_IT_HOST=127.0.0.1 SQLITE_IT_PG_PORT=$pg_port SQLITE_IT_MYSQL_PORT=$my_port SQLITE_IT_USER=app \
  SQLITE_IT_PASSWORD=$pw SQLITE_IT_DATABASE=$db SQLITE_IT_WORK=$work PYTHONDONTWRITEBYTECODE=1
started=$(date +%s)
echo "=== ArticDBM with an embedded SQLite database ($dbfile): PG 127.0.0.1:$pg_port, MySQL 127.0.0.1:$my_port"
check "sqlite3: table it_native_types made in the file before the proxy starts" \
  "$py" "$suite/file_suite.py" create "$dbfile"
if ! check "proxy starts with three sqlite databases" start_sqlite_proxy "$work/proxy.log"; then
  echo "--- proxy log"; cat "$work/proxy.log"
  echo "sqlite: $passed passed, $((failed + 1)) failed"
  exit 1
fi

# ------------------------------------------------------------------------------- psql
pgc="host=127.0.0.1 port=$pg_port user=app dbname=$db connect_timeout=10"
psql_() { PGPASSWORD=$pw psql -X -q -At "$@" 2>&1; }
expect_out() { # expected, command...: why = output when it differs
  local want=$1; shift
  local got; got=$("$@")
  [ "$got" = "$want" ] && return 0
  why="got [$(head -c 600 <<<"$got" | tr '\n' '|')], want [$(tr '\n' '|' <<<"$want")]"
  return 1
}
error_then() { # error pattern, marker printed by the statement after it, output
  grep -qE -- "$1" <<<"$3" && grep -qx -- "$2" <<<"$3" && return 0
  why="no /$1/ followed by $2 in [$(head -c 900 <<<"$3" | tr '\n' '|')]"
  return 1
}
expect_grep() { # pattern, command...
  local pat=$1; shift
  local got; got=$("$@")
  grep -qE -- "$pat" <<<"$got" && return 0
  why="no /$pat/ in [$(head -c 600 <<<"$got" | tr '\n' '|')]"
  return 1
}
check "psql: select 41+1" expect_out 42 psql_ "$pgc" -c "select 41+1"
check "psql: CREATE (serial, unique, date), INSERT, a rolled back transaction, SELECT" expect_out $'1|a|2024-01-02\n2|b|null' \
  psql_ "$pgc" -v ON_ERROR_STOP=1 \
  -c "create table it_psql (id serial primary key, name text not null unique, at date)" \
  -c "insert into it_psql (name, at) values ('a', '2024-01-02'), ('b', null)" \
  -c "begin" -c "insert into it_psql (name) values ('rolled back')" -c "rollback" \
  -c "select id, name, coalesce(at::text, 'null') from it_psql order by id"
check "psql: \\dt lists the table" expect_grep '^public\|it_psql\|table\|' psql_ "$pgc" -c '\dt'
psql_flat() { psql_ "$@" | tr '\n' ' '; }
check "psql: \\d it_psql shows its columns and types" \
  expect_grep '^id\|(bigint|integer)\|\|not null\|.* name\|text\|\|not null\|.* at\|date\|' psql_flat "$pgc" -c '\d it_psql'
psql_errors=$(PGPASSWORD=$pw psql -X -At "$pgc" 2>&1 <<'SQL'
\set VERBOSITY verbose
insert into it_psql (id, name) values (1, 'dup');
select 'after-23505';
insert into it_psql (name) values (null);
select 'after-23502';
create table it_psql_child (id integer primary key, parent integer references it_psql(id));
insert into it_psql_child values (1, 999);
select 'after-23503';
selec 1;
select 'after-42601';
SQL
)
for code in 23505 23502 23503 42601; do
  check "psql: error $code reported, next statement works" error_then "ERROR:  $code:" "after-$code" "$psql_errors"
done

# ------------------------------------------------------------------------------- mysql CLI
mysql_() { MYSQL_PWD=$pw mysql --no-defaults --protocol=TCP -h 127.0.0.1 -P "$my_port" -u app --connect-timeout=10 -N -B "$@" 2>&1; }
check "mysql: SELECT 41+1" expect_out 42 mysql_ "$db" -e "SELECT 41+1"
check "mysql: CREATE (AUTO_INCREMENT), INSERT (escaped quote), SELECT" expect_out $'1\ta\tit\'s\n2\tb\tnull' \
  mysql_ "$db" -e "CREATE TABLE it_mycli (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(20) NOT NULL UNIQUE, note TEXT);
    INSERT INTO it_mycli (name, note) VALUES ('a', 'it\\'s'), ('b', NULL);
    SELECT id, name, IFNULL(note, 'null') FROM it_mycli ORDER BY id"
check "mysql: SHOW TABLES lists the tables" expect_grep '^it_mycli$' mysql_ "$db" -e "SHOW TABLES"
mysql_errors=$(mysql_ --force "$db" <<'SQL'
INSERT INTO it_mycli (id, name) VALUES (1, 'dup');
SELECT 'after-1062';
INSERT INTO it_mycli (name) VALUES (NULL);
SELECT 'after-1048';
CREATE TABLE it_mycli_child (id INTEGER PRIMARY KEY, parent INTEGER, FOREIGN KEY (parent) REFERENCES it_mycli(id));
INSERT INTO it_mycli_child VALUES (1, 999);
SELECT 'after-1452';
SELEC 1;
SELECT 'after-1064';
SQL
)
for pair in 1062:23000 1048:23000 1452:23000 1064:42000; do
  code=${pair%%:*} state=${pair#*:}
  check "mysql: error $code ($state) reported, next statement works" \
    error_then "ERROR $code \($state\)" "after-$code" "$mysql_errors"
done
check "cross: psql reads the row the mysql CLI wrote" expect_out "it's" psql_ "$pgc" -c "select note from it_mycli where name = 'a'"
check "cross: the mysql CLI reads the row psql wrote" expect_out "2024-01-02" mysql_ "$db" -e "SELECT at FROM it_psql WHERE name = 'a'"
check "second database 'fresh' (default path): created, writable" expect_out 7 \
  psql_ "host=127.0.0.1 port=$pg_port user=app dbname=fresh connect_timeout=10" -v ON_ERROR_STOP=1 \
  -c "create table t (x integer)" -c "insert into t values (7)" -c "select x from t"
check "second database's file is data_dir/fresh.db" test -s "$data/fresh.db"

# ------------------------------------------------------------------------------- drivers
SQLITE_IT_PROXY_PID=$PROXY_PID run_py stream 150 "$suite/stream_suite.py"
run_py pg 200 "$suite/pg_suite.py"
run_py sqlalchemy 120 "$suite/sa_suite.py"
run_py mysql 150 "$suite/mysql_suite.py"
run_py cross 90 "$suite/cross_suite.py"
run_py concurrency 90 "$suite/conc_suite.py"
run_py locks 60 "$suite/locks_suite.py"

# ------------------------------------------------------------------------------- kill -9
echo "=== kill -9 during writes, restart"
rm -f "$work/crash.ready"
"$py" "$suite/crash_suite.py" write "$work/crash.json" "$work/crash.ready" >"$work/crash.out" 2>&1 &
crash_pid=$!
for _ in $(seq 1 300); do [ -f "$work/crash.ready" ] && break; sleep 0.05; done
sleep 0.2
kill -KILL "$PROXY_PID"
wait "$PROXY_PID" 2>/dev/null
PROXY_PID=
wait "$crash_pid"
crash_rc=$?
cat "$work/crash.out"
add_counts crash-write "$crash_rc" "$work/crash.out"
if check "proxy restarts on the same file after kill -9" start_sqlite_proxy "$work/proxy2.log"; then
  run_py crash 60 "$suite/crash_suite.py" verify "$work/crash.json"
  stopped() { stop_proxy && PROXY_PID=; }
  check "SIGTERM: the proxy exits cleanly" stopped
else
  echo "--- proxy log after restart"; tail -n 40 "$work/proxy2.log"
fi

# ------------------------------------------------------------------------------- the file
[ -n "$PROXY_PID" ] && { kill -KILL "$PROXY_PID" 2>/dev/null; wait "$PROXY_PID" 2>/dev/null; PROXY_PID=; }
run_py file 60 "$suite/file_suite.py" check "$dbfile" "$work"

if [ "$failed" -ne 0 ]; then
  echo "--- proxy log: warnings and errors (first run, then after the restart)"
  grep -hE 'WARN|ERROR|panick' "$work/proxy.log" "$work/proxy2.log" 2>/dev/null | tail -n 40
fi
echo "=== $(($(date +%s) - started)) s"
echo "sqlite: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
