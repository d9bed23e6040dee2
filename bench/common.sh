# shellcheck shell=bash disable=SC2034
# Shared settings for the bench/ scripts (sourced, not executed).
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BENCH_STATE_DIR=${BENCH_STATE_DIR:-/tmp/articdbm-bench}
BENCH_PGHOST=${BENCH_PGHOST:-127.0.0.1}
BENCH_PGPORT=${BENCH_PGPORT:-5432}
BENCH_DB=${BENCH_DB:-articdbm_bench}
# Clients of the proxies log in as this user with this password (SCRAM-SHA-256).
BENCH_USER=${BENCH_USER:-bench}
BENCH_PASSWORD=${BENCH_PASSWORD:-bench-secret}
# How both proxies authenticate the bench user: scram (default, SCRAM-SHA-256) or md5. With
# scram, every new connection costs the client (pgbench) a 4096-round PBKDF2; md5 shows the
# proxies' own connection cost (the -C workload).
BENCH_AUTH=${BENCH_AUTH:-scram}
# Plaintext on loopback for every target: PostgreSQL has ssl=on and libpq's default sslmode=prefer
# would encrypt the direct runs only (neither proxy is given a certificate here).
export PGSSLMODE=${PGSSLMODE:-disable}

# Raise the open-files limit as far as allowed (65536 wanted; containers may cap the hard limit).
raise_nofile() {
  local want=${1:-65536} hard
  hard=$(ulimit -Hn)
  if [ "$hard" != "unlimited" ] && [ "$hard" -lt "$want" ]; then
    [ -n "${BENCH_NOFILE_NOTED:-}" ] || echo "[bench] note: hard open-files limit is $hard (< $want); using $hard" >&2
    export BENCH_NOFILE_NOTED=1
    want=$hard
  fi
  ulimit -n "$want" 2>/dev/null || true
}

# wait_ready PORT USER [PASSWORD] -> 0 once `SELECT 1` works through the port (30 s max).
wait_ready() {
  local port=$1 user=$2 pw=${3:-} i
  for i in $(seq 1 150); do
    if PGPASSWORD=$pw PGCONNECT_TIMEOUT=2 psql -X -q -h 127.0.0.1 -p "$port" -U "$user" -d "$BENCH_DB" \
         -tAc 'SELECT 1' >/dev/null 2>&1; then
      return 0
    fi
    sleep 0.2
  done
  return 1
}

# stop_pid PIDFILE NAME: SIGTERM, wait up to 10 s, then SIGKILL.
stop_pid() {
  local pidfile=$1 name=$2 pid i
  [ -f "$pidfile" ] || { echo "[$name] not running (no pidfile $pidfile)" >&2; return 0; }
  pid=$(cat "$pidfile")
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
      echo "[$name] pid $pid did not stop on SIGTERM; sending SIGKILL" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$pidfile"
}
