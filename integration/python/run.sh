#!/usr/bin/env bash
# Python driver suite (psycopg 3, psycopg2, asyncpg) against $PGHOST:$PGPORT.
# Creates/reuses the venv at <repo>/.venv; installs only when requirements.txt changed.
# Extra arguments go to pytest (e.g. -k cancel). Exit code = pytest's.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
venv="${ARTICDBM_VENV:-$repo/.venv}"
stamp="$venv/.integration-python.sha256"

if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
want="$(sha256sum "$here/requirements.txt" | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null || true)" != "$want" ]; then
  "$venv/bin/python" -m pip install -q --disable-pip-version-check -r "$here/requirements.txt"
  echo "$want" > "$stamp"
fi

cd "$here"
exec "$venv/bin/python" -m pytest -c "$here/pytest.ini" "$here" "$@"
