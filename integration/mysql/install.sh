#!/usr/bin/env bash
# Installs, idempotently, what the MySQL driver suites and the sysbench benchmark need:
#   apt:    sysbench, libmariadb-dev + pkg-config (to build mysqlclient), libmariadb-java
#           (MariaDB Connector/J: Maven Central is not reachable here, so Oracle's Connector/J
#           cannot be fetched), a JDK, python3-venv, nodejs/npm (only what is missing)
#   python: venv at integration/mysql/.venv from python/requirements.txt (re-run when it changes)
#   node:   npm ci in node/ (when node_modules is missing or older than the lockfile)
# The Rust clients (sqlx / mysql_async) are cargo tests in the workspace, not installed here.
# Env: ARTICDBM_MYSQL_VENV (venv path).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="${ARTICDBM_MYSQL_VENV:-$here/.venv}"

apt_pkgs=()
command -v sysbench >/dev/null || apt_pkgs+=(sysbench)
pkg-config --exists libmariadb 2>/dev/null || apt_pkgs+=(libmariadb-dev)
command -v pkg-config >/dev/null || apt_pkgs+=(pkg-config)
[ -f /usr/share/java/mariadb-java-client.jar ] || apt_pkgs+=(libmariadb-java)
command -v javac >/dev/null || apt_pkgs+=(openjdk-17-jdk-headless)
python3 -c 'import venv, ensurepip' 2>/dev/null || apt_pkgs+=(python3-venv)
command -v npm >/dev/null || apt_pkgs+=(nodejs npm)
command -v gcc >/dev/null || apt_pkgs+=(gcc)
if [ ${#apt_pkgs[@]} -gt 0 ]; then
  echo "mysql-install: apt-get install ${apt_pkgs[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=300 update -qq
  apt-get -o DPkg::Lock::Timeout=300 install -y -qq "${apt_pkgs[@]}" >/dev/null
fi

stamp="$venv/.integration-mysql.sha256"
[ -x "$venv/bin/python" ] || { echo "mysql-install: creating $venv"; python3 -m venv "$venv"; }
want="$(sha256sum "$here/python/requirements.txt" | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null || true)" != "$want" ]; then
  echo "mysql-install: pip install -r python/requirements.txt"
  "$venv/bin/python" -m pip install -q --disable-pip-version-check -r "$here/python/requirements.txt"
  echo "$want" >"$stamp"
fi

cd "$here/node"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "mysql-install: npm ci (integration/mysql/node)"
  npm ci --no-audit --no-fund --loglevel=error
fi
echo "mysql-install: ready"
