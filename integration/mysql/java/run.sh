#!/usr/bin/env bash
# MariaDB Connector/J suite (server-side prepared statements) against $MYSQL_HOST:$MYSQL_PORT: compiles
# MariadbJdbcTest.java with javac against Debian's libmariadb-java jar into a temp dir and runs it.
# Oracle's MySQL Connector/J would come from Maven Central, which is not reachable from these machines.
# Args: case names to run a subset. Exit code = the program's.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
jar="${MARIADB_JDBC_JAR:-/usr/share/java/mariadb-java-client.jar}"
[ -f "$jar" ] || "$here/../install.sh"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
javac -encoding UTF-8 -cp "$jar" -d "$out" "$here/MariadbJdbcTest.java"
java -Dfile.encoding=UTF-8 -Xmx1g -cp "$out:$jar" MariadbJdbcTest "$@"
