#!/usr/bin/env bash
# Idempotent setup for the benchmark harness:
#  - installs Debian's pgbouncer (and the PostgreSQL client tools, iproute2, python3 if missing)
#  - creates the database articdbm_bench on 127.0.0.1:5432 (user postgres, trust auth)
#  - initializes it with `pgbench -i -s $BENCH_SCALE` (default 10) unless already at that scale
# Safe to run repeatedly; does nothing that is already done.
set -euo pipefail

PGHOST_=${BENCH_PGHOST:-127.0.0.1}
PGPORT_=${BENCH_PGPORT:-5432}
PGUSER_=${BENCH_PGUSER:-postgres}
DB=${BENCH_DB:-articdbm_bench}
SCALE=${BENCH_SCALE:-10}

log() { printf '[setup] %s\n' "$*" >&2; }

need_pkgs=()
command -v pgbouncer >/dev/null 2>&1 || [ -x /usr/sbin/pgbouncer ] || need_pkgs+=(pgbouncer)
command -v pgbench >/dev/null 2>&1 || need_pkgs+=(postgresql-client)
command -v psql >/dev/null 2>&1 || need_pkgs+=(postgresql-client)
command -v ss >/dev/null 2>&1 || need_pkgs+=(iproute2)
command -v python3 >/dev/null 2>&1 || need_pkgs+=(python3)
if [ ${#need_pkgs[@]} -gt 0 ]; then
  log "installing: ${need_pkgs[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # The package lists may be missing on a fresh machine; update once, then install.
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null
fi
# The Debian package registers a service on 127.0.0.1:6432; we never use it (policy-rc.d
# normally keeps it from starting, but stop it if something started it).
if [ -f /run/postgresql/pgbouncer.pid ] && kill -0 "$(cat /run/postgresql/pgbouncer.pid)" 2>/dev/null; then
  log "stopping the Debian-default pgbouncer service (it would hold 127.0.0.1:6432)"
  kill -TERM "$(cat /run/postgresql/pgbouncer.pid)" || true
fi

# pgbouncer refuses to run as root; it runs as the `postgres` system user (present with the server).
if ! id postgres >/dev/null 2>&1; then
  log "creating system user postgres"
  useradd --system --no-create-home --shell /usr/sbin/nologin postgres
fi

# Wait for the shared PostgreSQL (started by the machine, see shared/SERVICES.md).
for _ in $(seq 1 30); do
  pg_isready -q -h "$PGHOST_" -p "$PGPORT_" && break
  sleep 1
done
pg_isready -q -h "$PGHOST_" -p "$PGPORT_" || { log "PostgreSQL on $PGHOST_:$PGPORT_ is not ready"; exit 1; }

psqlc() { psql -X -q -v ON_ERROR_STOP=1 -h "$PGHOST_" -p "$PGPORT_" -U "$PGUSER_" "$@"; }

if [ "$(psqlc -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB'")" != "1" ]; then
  log "creating database $DB"
  psqlc -d postgres -c "CREATE DATABASE $DB"
fi

current_scale=$(psqlc -d "$DB" -tAc "SELECT CASE WHEN to_regclass('public.pgbench_branches') IS NULL THEN 0
  ELSE (SELECT count(*) FROM pgbench_branches) END" 2>/dev/null || echo 0)
accounts_ok=$(psqlc -d "$DB" -tAc "SELECT to_regclass('public.pgbench_accounts') IS NOT NULL" 2>/dev/null || echo f)
if [ "$current_scale" != "$SCALE" ] || [ "$accounts_ok" != "t" ]; then
  log "initializing $DB with pgbench -i -s $SCALE (found scale '$current_scale')"
  pgbench -i -q -s "$SCALE" -h "$PGHOST_" -p "$PGPORT_" -U "$PGUSER_" "$DB"
else
  log "$DB already initialized at scale $SCALE"
fi

log "PostgreSQL max_connections = $(psqlc -d "$DB" -tAc 'SHOW max_connections')"
log "done"
