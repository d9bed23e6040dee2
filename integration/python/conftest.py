"""Shared settings for the real-driver integration suite.

Connection settings come from the environment so the same tests run directly
against PostgreSQL and, unchanged, through the ArticDBM proxy:

  PGHOST (127.0.0.1)  PGPORT (5432)  PGUSER (postgres)  PGPASSWORD (optional)
  PGDATABASE (test)
  ARTICDBM_POOL_MODE  session | transaction | ...  (unset = direct, like session)
  PGSSLROOTCERT       CA file; enables the TLS verify-full tests
  PGSSLHOST           host name to verify against the certificate (localhost)
"""

import ipaddress
import os
import re
import secrets

import pytest

HOST = os.environ.get("PGHOST") or "127.0.0.1"
PORT = int(os.environ.get("PGPORT") or "5432")
USER = os.environ.get("PGUSER") or "postgres"
PASSWORD = os.environ.get("PGPASSWORD") or None
DATABASE = os.environ.get("PGDATABASE") or "test"
POOL_MODE = os.environ.get("ARTICDBM_POOL_MODE", "")
SSLROOTCERT = os.environ.get("PGSSLROOTCERT") or None
SSLHOST = os.environ.get("PGSSLHOST") or "localhost"

# Rows used by the streaming tests: 100,000 rows of 1,000 bytes = 100 MB.
BIG_ROWS = 100_000
BIG_WIDTH = 1000
BIG_SQL = f"SELECT repeat('x', {BIG_WIDTH}) FROM generate_series(1, {BIG_ROWS})"

COPY_ROWS = 10_000

session_only = pytest.mark.skipif(
    POOL_MODE not in ("", "session"),
    reason=f"needs session pooling (ARTICDBM_POOL_MODE={POOL_MODE})",
)
needs_tls = pytest.mark.skipif(
    SSLROOTCERT is None, reason="PGSSLROOTCERT not set: TLS verify-full not tested"
)


def libpq_kwargs(**extra):
    """Keyword arguments for psycopg / psycopg2 connect()."""
    kw = dict(host=HOST, port=PORT, user=USER, dbname=DATABASE, connect_timeout=10)
    if PASSWORD is not None:
        kw["password"] = PASSWORD
    kw.update(extra)
    return kw


def libpq_tls_kwargs(**extra):
    """verify-full against PGSSLROOTCERT; the name checked is PGSSLHOST while
    the TCP connection still goes to PGHOST (hostaddr) when that is an IP."""
    kw = libpq_kwargs(sslmode="verify-full", sslrootcert=SSLROOTCERT, host=SSLHOST)
    try:
        ipaddress.ip_address(HOST)
        kw["hostaddr"] = HOST
    except ValueError:
        pass  # PGHOST is a name: libpq resolves SSLHOST itself
    kw.update(extra)
    return kw


def asyncpg_kwargs(**extra):
    kw = dict(host=HOST, port=PORT, user=USER, database=DATABASE, timeout=10)
    if PASSWORD is not None:
        kw["password"] = PASSWORD
    kw.update(extra)
    return kw


def unique_name(prefix):
    return f"it_{prefix}_{secrets.token_hex(5)}"


@pytest.fixture
def table_name(request):
    """A unique table name for this test; the table is dropped afterwards
    (over a fresh psycopg connection, so a broken test connection can't leak it)."""
    driver = request.module.__name__.rsplit("_", 1)[-1][:8]
    test = re.sub(r"\W", "_", request.node.name.removeprefix("test_"))[:24]
    name = unique_name(f"{driver}_{test}".lower())
    yield name
    import psycopg

    with psycopg.connect(**libpq_kwargs(), autocommit=True) as c:
        c.execute(f"DROP TABLE IF EXISTS {name}")


@pytest.fixture
def channel_name():
    return unique_name("chan")


def pytest_sessionstart(session):
    """Fail fast (instead of ~50 connect timeouts) when the endpoint is unusable."""
    import psycopg

    try:
        with psycopg.connect(**libpq_kwargs(connect_timeout=10)) as c:
            c.execute("SELECT 1").fetchone()
    except Exception as e:  # noqa: BLE001 - any failure means: don't bother
        pytest.exit(f"endpoint {HOST}:{PORT}/{DATABASE} not usable: {e}", returncode=2)
