#!/usr/bin/env bash
# Installs everything the driver suites need; idempotent and quick when done:
#   python: venv at <repo>/.venv + pip install -r python/requirements.txt (re-run only when it changes)
#   node:   npm ci in node/ (only when node_modules is missing or older than the lockfile)
#   java:   Debian's libpostgresql-jdbc-java (pgjdbc jar in /usr/share/java) and a JDK
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
venv="${ARTICDBM_VENV:-$repo/.venv}"

# --- apt (only for what is missing; one update first) ---
apt_pkgs=()
[ -f /usr/share/java/postgresql.jar ] || apt_pkgs+=(libpostgresql-jdbc-java)
command -v javac >/dev/null || apt_pkgs+=(openjdk-17-jdk-headless)
command -v python3 >/dev/null || apt_pkgs+=(python3 python3-venv)
python3 -c 'import venv, ensurepip' 2>/dev/null || apt_pkgs+=(python3-venv)
command -v npm >/dev/null || apt_pkgs+=(nodejs npm)
if [ ${#apt_pkgs[@]} -gt 0 ]; then
  echo "setup: apt-get install ${apt_pkgs[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=300 update -qq
  apt-get -o DPkg::Lock::Timeout=300 install -y -qq "${apt_pkgs[@]}" >/dev/null
fi

# --- python ---
stamp="$venv/.integration-python.sha256"
[ -x "$venv/bin/python" ] || { echo "setup: creating $venv"; python3 -m venv "$venv"; }
want="$(sha256sum "$here/python/requirements.txt" | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null || true)" != "$want" ]; then
  echo "setup: pip install -r python/requirements.txt"
  "$venv/bin/python" -m pip install -q --disable-pip-version-check -r "$here/python/requirements.txt"
  echo "$want" > "$stamp"
fi

# --- node ---
node_major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
if [ "$node_major" -lt 20 ]; then
  echo "setup: node >= 20.14 is needed (have $(node --version 2>/dev/null || echo none))" >&2
  exit 1
fi
cd "$here/node"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci (integration/node)"
  npm ci --no-audit --no-fund --loglevel=error
fi

echo "setup: driver suites ready"
