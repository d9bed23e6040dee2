#!/usr/bin/env bash
# Start or stop HAProxy as a pure TCP relay in front of MariaDB: the floor for any MySQL proxy.
#   bench/haproxy.sh start PORT [SERVER_HOST:PORT]   (default server 127.0.0.1:3306)
#   bench/haproxy.sh stop  PORT
# HAProxy in `mode tcp` parses nothing, pools nothing and authenticates nothing: each client
# connection gets its own server connection and bytes are copied both ways. Whatever it costs is
# what the two extra loopback hops cost on this machine, so bench/sysbench.sh runs it beside
# ArticDBM to show how much of ArticDBM's overhead is the hop itself.
# Installs Debian's haproxy when missing. State lives in $BENCH_STATE_DIR/haproxy-PORT/.
set -euo pipefail
. "$(dirname "$0")/common.sh"

cmd=${1:-}; port=${2:-}; server=${3:-127.0.0.1:3306}
[ -n "$cmd" ] && [ -n "$port" ] || { echo "usage: $0 start|stop PORT [HOST:PORT]" >&2; exit 2; }
dir=$BENCH_STATE_DIR/haproxy-$port

case $cmd in
start)
  if ! command -v haproxy >/dev/null 2>&1 && [ ! -x /usr/sbin/haproxy ]; then
    apt-get -o DPkg::Lock::Timeout=300 install -y -qq haproxy >/dev/null
    # the package starts its own service on *:80; it is not ours to run
    systemctl stop haproxy >/dev/null 2>&1 || true
  fi
  HAP=$(command -v haproxy || echo /usr/sbin/haproxy)
  if [ -f "$dir/haproxy.pid" ] && kill -0 "$(cat "$dir/haproxy.pid")" 2>/dev/null; then
    echo "[haproxy] already running on port $port" >&2; exit 0
  fi
  mkdir -p "$dir"
  cat >"$dir/haproxy.cfg" <<CFG
global
  maxconn 8000
  nbthread $(nproc)
defaults
  mode tcp
  timeout connect 5s
  timeout client 1h
  timeout server 1h
frontend relay
  bind 127.0.0.1:$port
  default_backend mariadb
backend mariadb
  server s1 $server
CFG
  "$HAP" -D -f "$dir/haproxy.cfg" -p "$dir/haproxy.pid"
  ;;
stop)
  [ -f "$dir/haproxy.pid" ] && stop_pid "$dir/haproxy.pid" haproxy
  ;;
*) echo "usage: $0 start|stop PORT [HOST:PORT]" >&2; exit 2 ;;
esac
