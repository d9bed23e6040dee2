#!/usr/bin/env bash
# Runs drivers' own test suites directly against the servers and through a real ArticDBM proxy
# (session mode unless ARTICDBM_IT_MODES says otherwise), and lists every test that fails only
# through the proxy (docs/COMPATIBILITY.md records the findings). Slow (about 10 minutes per run
# on two cores): not part of scripts/test.sh.
#
# Suites, from what PyPI and npm publish:
#   asyncpg  its tests/ directory from the PyPI sdist (asyncpg==0.32.0, as installed), run with
#            pytest against PGHOST/PGPORT (asyncpg's test base uses a running server when PGHOST
#            is set; the tests that start clusters of their own skip or fail alike both ways).
# Not published there: psycopg's sdist has no tests, the npm packages pg and mysql2 have none, and
# PyMySQL's sdist has only tests/test_auth.py, fixed to 127.0.0.1:3306 and MySQL 8 accounts. For
# those drivers the project's own suites (integration/python, integration/node,
# integration/mysql) run the same cases directly and through the proxy.
#
#   integration/driver-suites.sh                      # the whole asyncpg suite, session mode
#   integration/driver-suites.sh test_listeners.py    # some of its files (or pytest -k args)
# ARTICDBM_SUITES_OUT=DIR keeps the JUnit reports and logs; ARTICDBM_IT_MODES="session transaction".
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
export ARTICDBM_BIN="${ARTICDBM_BIN:-$root/target/debug/articdbm}"
. "$here/lib-proxy.sh"
[ -x "$ARTICDBM_BIN" ] || (cd "$root" && cargo build -q -p articdbm) || exit 2

venv="${ARTICDBM_VENV_SUITES:-$root/.venv-driver-suites}"
req="$here/driver-suites/requirements.txt"
stamp="$venv/.requirements.sha256"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv" || exit 2
want="$(sha256sum "$req" | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null || true)" != "$want" ]; then
  "$venv/bin/python" -m pip install -q --disable-pip-version-check -r "$req" || exit 2
  echo "$want" >"$stamp"
fi
py="$venv/bin/python"
suite_timeout=${ARTICDBM_SUITE_TIMEOUT:-1800}
keep=${ARTICDBM_SUITES_OUT:-}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
out=${keep:-$work/out}
mkdir -p "$out"

# The asyncpg sdist's tests, for the installed version.
asyncpg_version=$("$py" -c 'import asyncpg; print(asyncpg.__version__)')
cache="$root/.driver-suites"
if [ ! -d "$cache/asyncpg-$asyncpg_version/tests" ]; then
  mkdir -p "$cache"
  "$py" -m pip download -q --disable-pip-version-check --no-deps --no-binary=asyncpg \
    "asyncpg==$asyncpg_version" -d "$cache" || exit 2
  tar -xzf "$cache/asyncpg-$asyncpg_version.tar.gz" -C "$cache" "asyncpg-$asyncpg_version/tests" || exit 2
fi
# Copied outside the sdist tree so that `import asyncpg` finds the installed (compiled) package.
cp -r "$cache/asyncpg-$asyncpg_version/tests" "$work/asyncpg-tests"

run_asyncpg() { # LABEL, environment is set by the caller
  (cd "$work" && timeout --kill-after=30 "$suite_timeout" "$py" -m pytest -p no:cacheprovider -q \
    -o timeout=90 --junitxml="$out/asyncpg-$1.xml" "${selection[@]}" >"$out/asyncpg-$1.log" 2>&1)
  echo "  asyncpg $1: $(grep -E '[0-9]+ (passed|failed)' "$out/asyncpg-$1.log" | tail -1)"
}

selection=()
for a in "$@"; do
  case $a in test_*.py*) selection+=("asyncpg-tests/$a") ;; *) selection+=("$a") ;; esac
done
[ ${#selection[@]} -gt 0 ] && [[ ${selection[0]} == asyncpg-tests/* ]] || selection=(asyncpg-tests "${selection[@]}")

status=0
echo "=== directly against PostgreSQL 127.0.0.1:5432"
PGHOST=127.0.0.1 PGPORT=5432 PGUSER=postgres PGDATABASE=postgres PGPASSWORD= run_asyncpg direct

make_tls "$work"
pw=$(random_password)
v=$(printf '%s\n' "$pw" | "$ARTICDBM_BIN" hash-password)
for mode in ${ARTICDBM_IT_MODES:-session}; do
  port=$(free_port)
  write_config "$work/$mode.toml" "$port" "$mode" "$work" "$v" "$v"
  sed -i "s/^pg_listen = .*/&\nmysql_listen = \"\"/" "$work/$mode.toml"
  # asyncpg's pool tests hold 10-20 connections at once; in session mode each holds a server.
  sed -i "s/^size = .*/size = 40/" "$work/$mode.toml"
  echo "=== through ArticDBM in $mode mode on 127.0.0.1:$port"
  start_proxy "$work/$mode.toml" "$port" "$out/proxy-$mode.log" || { status=1; continue; }
  PGHOST=127.0.0.1 PGPORT=$port PGUSER=app PGPASSWORD=$pw PGDATABASE=postgres run_asyncpg "$mode"
  stop_proxy || status=1
  echo "=== asyncpg: direct vs $mode"
  "$py" "$here/driver-suites/compare.py" "$out/asyncpg-direct.xml" "$out/asyncpg-$mode.xml" || status=1
done
[ -n "$keep" ] && echo "reports and logs in $keep"
exit $status
