#!/usr/bin/env bash
# The project's test command (see README): starts the services the tests need, runs the Rust
# unit and end-to-end tests against real PostgreSQL and MariaDB, the real-client checks through a
# real proxy (psql, pgbench, psycopg 3, psycopg2, asyncpg, node-postgres, pgjdbc; session and
# transaction mode; TLS verify-full), the MySQL ones (mysql CLI, PyMySQL, mysqlclient,
# mysql-connector-python, mysql2, MariaDB Connector/J, session-state isolation), the embedded
# SQLite backend over both protocols (psql, psycopg 3, asyncpg, SQLAlchemy, PyMySQL, mysql CLI),
# the zero-config start, and a short fuzzing run of the wire decoders.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
scripts/services.sh
cargo build --workspace --all-targets
cargo test --workspace
integration/through-proxy.sh
integration/tls-fetch.sh
integration/mysql-through-proxy.sh
integration/sqlite-through-proxy.sh
integration/quickstart.sh
if [ -x fuzz/run.sh ] && [ "${ARTICDBM_SKIP_FUZZ:-0}" != 1 ]; then
  fuzz/run.sh "${ARTICDBM_FUZZ_SECONDS:-20}"
fi
