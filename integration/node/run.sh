#!/usr/bin/env bash
# node-postgres suite against $PGHOST:$PGPORT (node's built-in test runner).
# Installs node_modules with `npm ci` only when missing or older than package-lock.json.
# Extra arguments go to `node --test` (e.g. --test-name-pattern=cancel).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
exec node --test --test-force-exit --test-concurrency=1 "$@" pg.test.js
