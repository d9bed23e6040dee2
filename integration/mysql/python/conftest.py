"""Shared fixtures for the MySQL driver suites.

The endpoint comes from the environment: MYSQL_HOST (127.0.0.1), MYSQL_PORT (3306), MYSQL_USER (root),
MYSQL_PASSWORD (empty), MYSQL_DATABASE (articdbm_it), MYSQL_OTHER_DATABASE (<database>_other),
MYSQL_SSL=1 with MYSQL_SSL_CA=<ca.pem> for TLS (verified against the CA). Both databases are created
when missing (if the user may). Tables are named it_<driver>_<test>_<random> and dropped afterwards.
"""
import os
import secrets

import pytest

import drivers

BLOB_PACKET = 64 * 1024 * 1024


def cfg():
    return drivers.Config.from_env()


@pytest.fixture(scope="session")
def config():
    c = cfg()
    # Make sure the databases exist, and the server accepts packets >16 MiB (needs SUPER when low).
    d = drivers.DRIVERS["pymysql"]
    conn = d.connect(c, database=None)
    try:
        cur = conn.cursor()
        for db in (c.database, c.other_database):
            try:
                cur.execute(f"CREATE DATABASE IF NOT EXISTS `{db}`")
            except Exception as e:  # no privilege: it must exist already
                print(f"note: could not create database {db}: {e}")
        cur.execute("SELECT @@global.max_allowed_packet")
        (mp,) = cur.fetchone()
        if int(mp) < BLOB_PACKET:
            try:
                cur.execute(f"SET GLOBAL max_allowed_packet={BLOB_PACKET}")
                print(f"note: raised global max_allowed_packet {mp} -> {BLOB_PACKET}")
            except Exception as e:
                print(f"note: max_allowed_packet={mp} < 64M and SET GLOBAL failed: {e}")
    finally:
        conn.close()
    return c


@pytest.fixture(params=sorted(drivers.DRIVERS))
def drv(request):
    return drivers.DRIVERS[request.param]


@pytest.fixture
def conn(drv, config):
    c = drv.connect(config)
    yield c
    try:
        c.close()
    except Exception:
        pass


@pytest.fixture
def table(request, drv, config, conn):
    """A unique table name; dropped after the test on a fresh connection (the test's own connection
    is closed first so that its open transaction holds no metadata lock)."""
    name = f"it_{drv.name}_{request.node.originalname.removeprefix('test_')}_{secrets.token_hex(3)}"[:64]
    yield name
    try:
        conn.close()
    except Exception:
        pass
    c = drivers.DRIVERS["pymysql"].connect(config)
    try:
        c.cursor().execute("SET SESSION lock_wait_timeout = 10")
        c.cursor().execute(f"DROP TABLE IF EXISTS `{name}`")
        c.commit()
    finally:
        c.close()
