#!/usr/bin/env bash
# mysql2 (Node) suite against $MYSQL_HOST:$MYSQL_PORT; `npm ci` when node_modules is missing or stale.
# Extra args go to node --test. Exit code = node's.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
exec node --test --test-timeout=60000 "$@" mysql2.test.js
