#!/usr/bin/env bash
# pgjdbc suite against $PGHOST:$PGPORT: compiles PgjdbcTest.java with plain javac
# against Debian's libpostgresql-jdbc-java (installed when the jar is missing)
# into a temp dir and runs it. Exit code = the program's (non-zero on failure).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
jar="${PGJDBC_JAR:-/usr/share/java/postgresql.jar}"
if [ ! -f "$jar" ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=300 update -qq
  apt-get -o DPkg::Lock::Timeout=300 install -y -qq libpostgresql-jdbc-java >/dev/null
fi
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
javac -Xlint:all -Werror -encoding UTF-8 -cp "$jar" -d "$out" "$here/PgjdbcTest.java"
# not exec: the EXIT trap removes the temp dir
java -Dfile.encoding=UTF-8 -Xmx1g -cp "$out:$jar" PgjdbcTest "$@"
