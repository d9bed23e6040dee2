"""psycopg2 against PostgreSQL or the ArticDBM proxy.

psycopg2 interpolates parameters client-side and uses the simple query
protocol; server-side prepares are exercised through SQL PREPARE/EXECUTE.

psycopg2 blocks inside libpq (C), where pytest-timeout's signal cannot
interrupt it; a per-test watchdog shuts the test's sockets down at 50 s so a
hung endpoint fails the test instead of hanging the run.
"""

import datetime as dt
import decimal
import io
import os
import select
import socket
import threading
import time

import psycopg2
import psycopg2.errors as errors
import psycopg2.extensions as ext
import pytest

from conftest import (
    BIG_ROWS,
    BIG_SQL,
    BIG_WIDTH,
    COPY_ROWS,
    libpq_kwargs,
    libpq_tls_kwargs,
    needs_tls,
    session_only,
)

WATCHDOG_SECONDS = 50
_open = []


def connect(autocommit=False, **kw):
    conn = psycopg2.connect(**libpq_kwargs(**kw))
    conn.autocommit = autocommit
    _open.append(conn)
    return conn


@pytest.fixture(autouse=True)
def watchdog():
    def fire():
        for c in list(_open):
            try:
                socket.socket(fileno=os.dup(c.fileno())).shutdown(socket.SHUT_RDWR)
            except Exception:
                pass

    timer = threading.Timer(WATCHDOG_SECONDS, fire)
    timer.daemon = True
    timer.start()
    yield
    timer.cancel()
    for c in _open:
        try:
            c.close()
        except Exception:
            pass
    _open.clear()


def one(conn, query, args=None):
    with conn.cursor() as cur:
        cur.execute(query, args)
        return cur.fetchone()


# (1) transactions ----------------------------------------------------------


def test_commit_and_rollback(table_name):
    conn = connect()
    with conn.cursor() as cur:
        cur.execute(f"CREATE TABLE {table_name} (id int PRIMARY KEY, v text)")
        conn.commit()
        cur.execute(f"INSERT INTO {table_name} VALUES (%s, %s)", (1, "kept"))
        conn.commit()
        cur.execute(f"INSERT INTO {table_name} VALUES (%s, %s)", (2, "rolled back"))
        assert conn.info.transaction_status == ext.TRANSACTION_STATUS_INTRANS
        conn.rollback()
        with conn:  # commits on success
            cur.execute(f"INSERT INTO {table_name} VALUES (%s, %s)", (3, "ctx"))
        with pytest.raises(ZeroDivisionError):
            with conn:  # rolls back on exception
                cur.execute(f"INSERT INTO {table_name} VALUES (%s, %s)", (4, "ctx rb"))
                1 / 0
    other = connect(autocommit=True)
    with other.cursor() as cur:
        cur.execute(f"SELECT id FROM {table_name} ORDER BY id")
        assert cur.fetchall() == [(1,), (3,)]


# (2) prepared / parameterized statements reused ------------------------------


def test_parameterized_across_transactions(table_name):
    conn = connect()
    with conn.cursor() as cur:
        cur.execute(f"CREATE TABLE {table_name} (id int PRIMARY KEY, v text)")
        conn.commit()
        for i in range(50):
            cur.execute(f"INSERT INTO {table_name} VALUES (%s, %s)", (i, f"row {i}"))
            cur.execute(f"SELECT v FROM {table_name} WHERE id = %s", (i,))
            assert cur.fetchone() == (f"row {i}",)
            conn.commit()
    conn.autocommit = True
    with conn.cursor() as cur:
        for i in range(50, 100):
            cur.execute(f"INSERT INTO {table_name} VALUES (%s, %s)", (i, f"row {i}"))
            cur.execute(f"SELECT v FROM {table_name} WHERE id = %s", (i,))
            assert cur.fetchone() == (f"row {i}",)
        cur.execute(f"SELECT count(*) FROM {table_name}")
        assert cur.fetchone() == (100,)


def test_sql_prepare_within_transactions(table_name):
    """PREPARE/EXECUTE/DEALLOCATE inside one transaction: valid in any pool mode."""
    conn = connect()
    with conn.cursor() as cur:
        cur.execute(f"CREATE TABLE {table_name} (id int, v text)")
        conn.commit()
        for i in range(50):
            cur.execute(f"PREPARE ins_{table_name} (int, text) AS INSERT INTO {table_name} VALUES ($1, $2)")
            cur.execute(f"EXECUTE ins_{table_name} (%s, %s)", (i, str(i)))
            cur.execute(f"DEALLOCATE ins_{table_name}")
            conn.commit()
        cur.execute(f"SELECT count(*), sum(id) FROM {table_name}")
        assert cur.fetchone() == (50, sum(range(50)))
        conn.commit()


@session_only
def test_sql_prepare_reused_across_transactions(table_name):
    """A session-level prepared statement used in 50 later transactions."""
    conn = connect()
    with conn.cursor() as cur:
        cur.execute(f"CREATE TABLE {table_name} (id int, v text)")
        cur.execute(f"PREPARE ins_{table_name} (int, text) AS INSERT INTO {table_name} VALUES ($1, $2)")
        cur.execute(f"PREPARE sel_{table_name} (int) AS SELECT v FROM {table_name} WHERE id = $1")
        conn.commit()
        for i in range(50):
            cur.execute(f"EXECUTE ins_{table_name} (%s, %s)", (i, f"v{i}"))
            cur.execute(f"EXECUTE sel_{table_name} (%s)", (i,))
            assert cur.fetchone() == (f"v{i}",)
            conn.commit()
        conn.autocommit = True
        cur.execute(f"EXECUTE sel_{table_name} (%s)", (49,))
        assert cur.fetchone() == ("v49",)
        cur.execute("DEALLOCATE ALL")


# (3) COPY ------------------------------------------------------------------


def test_copy_round_trip(table_name):
    conn = connect(autocommit=True)
    with conn.cursor() as cur:
        cur.execute(f"CREATE TABLE {table_name} (id int, name text, note text)")
        src = io.StringIO()
        for i in range(COPY_ROWS):
            note = "\\N" if i % 7 == 0 else "é✓"
            src.write(f"{i}\tname\\t{i}\\n\t{note}\n")
        src.seek(0)
        cur.copy_expert(f"COPY {table_name} (id, name, note) FROM STDIN", src)
        assert cur.rowcount == COPY_ROWS

        out = io.StringIO()
        cur.copy_expert(f"COPY (SELECT * FROM {table_name} ORDER BY id) TO STDOUT", out)
        assert out.getvalue() == src.getvalue()

        csv_out = io.StringIO()
        cur.copy_expert(
            f"COPY (SELECT id, name FROM {table_name} ORDER BY id) TO STDOUT WITH (FORMAT csv)", csv_out
        )
        assert csv_out.getvalue().count("\n") == COPY_ROWS * 2  # embedded newline in name
        cur.execute("SELECT 1")
        assert cur.fetchone() == (1,)


def test_copy_error_then_usable(table_name):
    conn = connect(autocommit=True)
    with conn.cursor() as cur:
        cur.execute(f"CREATE TABLE {table_name} (id int)")
        with pytest.raises(errors.InvalidTextRepresentation):
            cur.copy_expert(f"COPY {table_name} FROM STDIN", io.StringIO("1\n2\nthree\n4\n"))
        cur.execute(f"SELECT count(*) FROM {table_name}")
        assert cur.fetchone() == (0,)


# (4) large result sets -------------------------------------------------------


def test_large_result_named_cursor():
    conn = connect()
    total = rows = 0
    with conn.cursor(name="big_cursor") as cur:
        cur.itersize = 2000
        cur.execute(BIG_SQL)
        for (v,) in cur:
            total += len(v)
            rows += 1
    conn.commit()
    assert (rows, total) == (BIG_ROWS, BIG_ROWS * BIG_WIDTH)


def test_large_result_fetchall():
    conn = connect(autocommit=True)
    with conn.cursor() as cur:
        cur.execute(BIG_SQL)
        assert cur.rowcount == BIG_ROWS
        total = sum(len(v) for (v,) in cur)
    assert total == BIG_ROWS * BIG_WIDTH


# (5) NULLs and types -----------------------------------------------------------


def test_types_nulls_bytea(table_name):
    payload = os.urandom(100_000) + bytes(range(256))
    ts = dt.datetime(2024, 2, 29, 23, 59, 58, 123456)
    row = (42, -(2**62), 3.5, decimal.Decimal("12345678901234567890.0123456789"), ts, True, "héllo ☃", payload, None)
    conn = connect(autocommit=True)
    with conn.cursor() as cur:
        cur.execute(
            f"CREATE TABLE {table_name} (i int, bi bigint, f float8, n numeric, ts timestamp, "
            "b bool, t text, by bytea, nul int)"
        )
        cur.execute(
            f"INSERT INTO {table_name} VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
            row[:7] + (psycopg2.Binary(payload), None),
        )
        cur.execute(f"INSERT INTO {table_name} (i) VALUES (NULL)")
        cur.execute(f"SELECT * FROM {table_name} ORDER BY i NULLS LAST")
        got = cur.fetchall()
    assert got[0][:7] == row[:7]
    assert bytes(got[0][7]) == payload
    assert got[0][8] is None
    assert got[1] == (None,) * 9


# (6) errors ----------------------------------------------------------------------


def test_error_in_transaction_then_rollback():
    conn = connect()
    with conn.cursor() as cur:
        cur.execute("SELECT 1")
        with pytest.raises(errors.DivisionByZero) as ei:
            cur.execute("SELECT 1 / %s", (0,))
        assert ei.value.pgcode == "22012"
        assert conn.info.transaction_status == ext.TRANSACTION_STATUS_INERROR
        with pytest.raises(errors.InFailedSqlTransaction):
            cur.execute("SELECT 2")
        conn.rollback()
        cur.execute("SELECT 3")
        assert cur.fetchone() == (3,)
        conn.commit()


def test_error_outside_transaction():
    conn = connect(autocommit=True)
    with conn.cursor() as cur:
        with pytest.raises(errors.UndefinedTable):
            cur.execute("SELECT * FROM it_no_such_table_xyz")
        cur.execute("SELECT 'ok'")
        assert cur.fetchone() == ("ok",)
        with pytest.raises(errors.DivisionByZero):
            cur.execute("SELECT 1/0; SELECT 2")  # multi-statement simple query
        cur.execute("SELECT 'still ok'")
        assert cur.fetchone() == ("still ok",)
        assert conn.info.transaction_status == ext.TRANSACTION_STATUS_IDLE


# (7) cancel ----------------------------------------------------------------------


@pytest.mark.parametrize("autocommit", [True, False])
def test_cancel_long_query(autocommit):
    conn = connect(autocommit=autocommit)
    one(conn, "SELECT 1")

    def cancel_later():
        time.sleep(0.5)
        conn.cancel()

    t = threading.Thread(target=cancel_later, daemon=True)
    t.start()
    start = time.monotonic()
    with pytest.raises(errors.QueryCanceled) as ei:
        one(conn, "SELECT pg_sleep(10)")
    elapsed = time.monotonic() - start
    t.join(5)
    assert ei.value.pgcode == "57014"
    assert elapsed < 2.5, f"cancel took {elapsed:.2f}s"
    if not autocommit:
        conn.rollback()
    assert one(conn, "SELECT 'alive'") == ("alive",)


# (8) LISTEN / NOTIFY ----------------------------------------------------------------


@session_only
def test_listen_notify(channel_name):
    listener = connect(autocommit=True)
    sender = connect(autocommit=True)
    with listener.cursor() as cur:
        cur.execute(f"LISTEN {channel_name}")
    with sender.cursor() as cur:
        cur.execute("SELECT pg_notify(%s, %s)", (channel_name, "payload 1"))
        cur.execute(f"NOTIFY {channel_name}, 'payload 2'")
    deadline = time.monotonic() + 10
    got = []
    while len(got) < 2 and time.monotonic() < deadline:
        if select.select([listener], [], [], 0.5)[0]:
            listener.poll()
            while listener.notifies:
                n = listener.notifies.pop(0)
                assert n.channel == channel_name
                got.append(n.payload)
    assert got == ["payload 1", "payload 2"]


# (9) TLS ------------------------------------------------------------------------------


@needs_tls
def test_tls_verify_full():
    conn = psycopg2.connect(**libpq_tls_kwargs())
    _open.append(conn)
    assert conn.info.ssl_in_use
    assert conn.info.ssl_attribute("protocol")
    assert one(conn, "SELECT %s::int * 2", (21,)) == (42,)
    conn.commit()
