"""Check runner shared by the SQLite-through-proxy suites.

Every check is a function run in its own daemon thread with a time limit, so a hung proxy
fails that one check instead of the run. One line per check: `  ok   <name>[: detail]` or
`  FAIL <name>: <error>`; a closing `N passed, N failed` line; exit status 1 on any failure.

Endpoint settings come from the environment (set by ../sqlite-through-proxy.sh):
  SQLITE_IT_HOST (127.0.0.1)  SQLITE_IT_PG_PORT  SQLITE_IT_MYSQL_PORT
  SQLITE_IT_USER  SQLITE_IT_PASSWORD  SQLITE_IT_DATABASE
"""

import os
import secrets
import sys
import threading
import time
import traceback

HOST = os.environ.get("SQLITE_IT_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("SQLITE_IT_PG_PORT", "6432"))
MYSQL_PORT = int(os.environ.get("SQLITE_IT_MYSQL_PORT", "6033"))
USER = os.environ.get("SQLITE_IT_USER", "app")
PASSWORD = os.environ.get("SQLITE_IT_PASSWORD", "")
DATABASE = os.environ.get("SQLITE_IT_DATABASE", "itdb")
VERBOSE = os.environ.get("SQLITE_IT_VERBOSE", "") == "1"


def pg_kwargs(**extra):
    """psycopg connect() arguments: server-side prepares for every statement."""
    kw = dict(
        host=HOST,
        port=PG_PORT,
        user=USER,
        password=PASSWORD,
        dbname=DATABASE,
        connect_timeout=10,
        prepare_threshold=0,
    )
    kw.update(extra)
    return kw


def pg_connect(**extra):
    import psycopg

    return psycopg.connect(**pg_kwargs(**extra))


def asyncpg_kwargs(**extra):
    kw = dict(host=HOST, port=PG_PORT, user=USER, password=PASSWORD, database=DATABASE, timeout=10)
    kw.update(extra)
    return kw


def mysql_kwargs(**extra):
    kw = dict(
        host=HOST,
        port=MYSQL_PORT,
        user=USER,
        password=PASSWORD,
        database=DATABASE,
        connect_timeout=10,
        read_timeout=60,
        write_timeout=60,
        charset="utf8mb4",
    )
    kw.update(extra)
    return kw


def mysql_connect(**extra):
    import pymysql

    return pymysql.connect(**mysql_kwargs(**extra))


def unique(prefix):
    return f"it_{prefix}_{secrets.token_hex(4)}"


def one_line(text, limit=600):
    text = " | ".join(part.strip() for part in str(text).strip().splitlines() if part.strip())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def describe(e):
    """One line naming the error the way a user would report it: class, SQLSTATE or MySQL
    error number, message (and for SQLAlchemy the statement it sent)."""
    name = type(e).__name__
    try:
        import psycopg

        if isinstance(e, psycopg.Error):
            state = e.sqlstate or "no SQLSTATE"
            return one_line(f"psycopg {name} [{state}] {e}")
    except ImportError:
        pass
    try:
        import asyncpg

        if isinstance(e, asyncpg.PostgresError):
            return one_line(f"asyncpg {name} [{e.sqlstate}] {e}")
    except ImportError:
        pass
    try:
        import pymysql

        if isinstance(e, pymysql.err.MySQLError):
            return one_line(f"PyMySQL {name} {e.args}")
    except ImportError:
        pass
    try:
        import sqlalchemy.exc

        if isinstance(e, sqlalchemy.exc.DBAPIError) and e.orig is not None:
            return one_line(f"SQLAlchemy {name}: {describe(e.orig)} [SQL: {e.statement}]", 900)
    except ImportError:
        pass
    if isinstance(e, AssertionError):
        return one_line(str(e) or "assertion failed", 900)
    return one_line(f"{name}: {e}")


class Checks:
    """Counts and prints checks. `run(name, fn)` calls fn() (no arguments) with a time
    limit; fn returns None or a short detail for the ok line, and raises to fail."""

    def __init__(self, section):
        self.section = section
        self.passed = 0
        self.failed = 0

    def ok(self, name, detail=None):
        self.passed += 1
        suffix = f": {detail}" if detail else ""
        print(f"  ok   {self.section}: {name}{suffix}", flush=True)

    def fail(self, name, why):
        self.failed += 1
        print(f"  FAIL {self.section}: {name}: {why}", flush=True)

    def check(self, name, condition, why=""):
        if condition:
            self.ok(name)
        else:
            self.fail(name, why or "condition false")
        return condition

    def run(self, name, fn, timeout=60):
        result = {}

        def target():
            try:
                result["value"] = fn()
            except BaseException as e:  # noqa: BLE001 - every failure is reported
                result["error"] = e
                result["trace"] = traceback.format_exc()

        started = time.monotonic()
        t = threading.Thread(target=target, daemon=True, name=name)
        t.start()
        t.join(timeout)
        if t.is_alive():
            self.fail(name, f"timed out after {timeout} s (proxy hung?)")
            return False
        if "error" in result:
            self.fail(name, describe(result["error"]))
            if VERBOSE:
                print(result["trace"], file=sys.stderr)
            return False
        detail = result.get("value")
        if VERBOSE:
            detail = f"{detail or ''} ({time.monotonic() - started:.2f}s)".strip()
        self.ok(name, detail)
        return True

    def finish(self):
        print(f"{self.section}: {self.passed} passed, {self.failed} failed", flush=True)
        return 0 if self.failed == 0 else 1


def expect_equal(label, got, want):
    if got != want:
        raise AssertionError(f"{label}: got {got!r}, want {want!r}")


def type_names(values):
    return sorted({type(v).__name__ for v in values})
