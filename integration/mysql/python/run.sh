#!/usr/bin/env bash
# Python MySQL driver suite (PyMySQL, mysqlclient, mysql-connector-python binary protocol) and the
# session-state isolation test, against $MYSQL_HOST:$MYSQL_PORT (see conftest.py for the env vars).
# Uses the venv at integration/mysql/.venv (../install.sh makes it). Extra args go to pytest.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="${ARTICDBM_MYSQL_VENV:-$here/../.venv}"
[ -x "$venv/bin/python" ] || "$here/../install.sh"
cd "$here"
exec "$venv/bin/python" -m pytest -c "$here/pytest.ini" "$here" "$@"
