#!/usr/bin/env bash
# Makes sure the services the tests use are up (PostgreSQL, MariaDB, Redis on loopback), starting
# any that is down with the same command that started it on this machine (../shared/SERVICES.md),
# and waits until each answers.
set -uo pipefail

wait_for() { # name, command
  for _ in $(seq 1 60); do
    if eval "$2" >/dev/null 2>&1; then return 0; fi
    sleep 1
  done
  echo "services: $1 did not become ready" >&2
  return 1
}

if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  echo "services: starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
fi
wait_for PostgreSQL "pg_isready -q -h 127.0.0.1 -p 5432" || exit 1

if command -v mariadb-admin >/dev/null; then
  if ! mariadb-admin -uroot ping >/dev/null 2>&1; then
    echo "services: starting MariaDB"
    start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd || true
  fi
  wait_for MariaDB "mariadb-admin -uroot ping" || exit 1
fi

if command -v redis-server >/dev/null; then
  if ! redis-cli -h 127.0.0.1 ping >/dev/null 2>&1; then
    echo "services: starting Redis"
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
      --dir /var/lib/redis --logfile /var/log/redis/ci.log || true
  fi
  wait_for Redis "redis-cli -h 127.0.0.1 ping" || exit 1
fi
echo "services: PostgreSQL, MariaDB and Redis are up"
