"""A server lost under a PyMySQL client in the middle of a transaction, and the driver's retry path.

The server thread serving the client is killed on the server itself (directly, not through the
endpoint): during a statement inside BEGIN...COMMIT, and while the client is idle in the
transaction. Nothing of the transaction may commit: the statements the application sends after the
error (as `mysql --force` or a careless error handler would) must fail rather than autocommit on
another server, and the usual retry path (`ping(reconnect=True)`, then the whole transaction again)
must commit the transaction exactly once.

The server is reached with MYSQL_BACKEND_HOST / MYSQL_BACKEND_PORT / MYSQL_BACKEND_USER /
MYSQL_BACKEND_PASSWORD; without them, the endpoint itself is the server (a direct run).
"""
import os
import secrets
import threading
import time

import pymysql
import pytest

import drivers


def backend():
    c = drivers.Config.from_env()
    via_proxy = os.environ.get("MYSQL_VIA_PROXY") == "1"
    if via_proxy and "MYSQL_BACKEND_PORT" not in os.environ:
        pytest.fail("through a proxy, MYSQL_BACKEND_PORT (and user/password) must name the server")
    return pymysql.connect(
        host=os.environ.get("MYSQL_BACKEND_HOST", c.host),
        port=int(os.environ.get("MYSQL_BACKEND_PORT", c.port)),
        user=os.environ.get("MYSQL_BACKEND_USER", c.user),
        password=os.environ.get("MYSQL_BACKEND_PASSWORD", "" if via_proxy else c.password),
        connect_timeout=10,
        autocommit=True,
    )


def kill_thread_running(marker):
    """Kills (on the server) the thread whose statement contains `marker`, once there is one."""
    admin = backend()
    try:
        cur = admin.cursor()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            cur.execute(
                "SELECT ID FROM information_schema.PROCESSLIST WHERE INFO LIKE %s AND ID <> CONNECTION_ID()",
                (f"%{marker}%",),
            )
            row = cur.fetchone()
            if row:
                cur.execute(f"KILL {int(row[0])}")
                return
            time.sleep(0.05)
        raise AssertionError(f"no server thread ran {marker}")
    finally:
        admin.close()


def kill_thread(thread_id):
    admin = backend()
    try:
        admin.cursor().execute(f"KILL {int(thread_id)}")
    finally:
        admin.close()


@pytest.fixture
def fault_table(config):
    name = f"it_fault_{secrets.token_hex(4)}"
    c = drivers.DRIVERS["pymysql"].connect(config)
    try:
        c.cursor().execute(f"CREATE TABLE `{name}` (v INT) ENGINE=InnoDB")
        c.commit()
    finally:
        c.close()
    yield name
    c = drivers.DRIVERS["pymysql"].connect(config)
    try:
        c.cursor().execute(f"DROP TABLE IF EXISTS `{name}`")
        c.commit()
    finally:
        c.close()


def committed(config, table):
    c = drivers.DRIVERS["pymysql"].connect(config)
    try:
        cur = c.cursor()
        cur.execute(f"SELECT v FROM `{table}` ORDER BY v")
        return [r[0] for r in cur.fetchall()]
    finally:
        c.close()


def carry_on_after_error(conn, table):
    """What `mysql --force` (or a careless handler) does: the rest of the transaction is sent
    anyway. Each statement must fail on a connection whose server was lost."""
    for sql in (f"INSERT INTO `{table}` VALUES (-102)", "COMMIT"):
        with pytest.raises((pymysql.err.OperationalError, pymysql.err.InterfaceError)):
            conn.cursor().execute(sql)


def retry_whole_transaction(conn, table):
    """PyMySQL's retry path: reconnect, then the transaction from its start."""
    conn.ping(reconnect=True)
    conn.begin()
    cur = conn.cursor()
    cur.execute(f"INSERT INTO `{table}` VALUES (-101)")
    cur.execute(f"INSERT INTO `{table}` VALUES (-102)")
    conn.commit()


def test_pymysql_server_killed_during_statement_in_transaction(config, fault_table):
    conn = drivers.DRIVERS["pymysql"].connect(config)
    try:
        conn.begin()
        cur = conn.cursor()
        cur.execute(f"INSERT INTO `{fault_table}` VALUES (-101)")
        marker = f"fault-{secrets.token_hex(4)}"
        killer = threading.Thread(target=kill_thread_running, args=(marker,))
        killer.start()
        with pytest.raises(pymysql.err.OperationalError) as lost:
            cur.execute(f"SELECT /* {marker} */ SLEEP(5)")
        killer.join(30)
        assert lost.value.args[0] in (2013, 2006), repr(lost.value)
        carry_on_after_error(conn, fault_table)
        assert committed(config, fault_table) == [], "half a transaction committed"
        retry_whole_transaction(conn, fault_table)
        assert committed(config, fault_table) == [-102, -101]
    finally:
        conn.close()


def test_pymysql_server_killed_while_idle_in_transaction(config, fault_table):
    conn = drivers.DRIVERS["pymysql"].connect(config)
    try:
        conn.begin()
        cur = conn.cursor()
        cur.execute(f"INSERT INTO `{fault_table}` VALUES (-101)")
        # The server thread of this transaction (through the proxy: the server's own id).
        cur.execute("SELECT CONNECTION_ID()")
        kill_thread(cur.fetchone()[0])
        time.sleep(0.3)
        carry_on_after_error(conn, fault_table)
        assert committed(config, fault_table) == [], "half a transaction committed"
        retry_whole_transaction(conn, fault_table)
        assert committed(config, fault_table) == [-102, -101]
    finally:
        conn.close()
