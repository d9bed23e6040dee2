"""psycopg 3 against PostgreSQL or the ArticDBM proxy.

Every connection uses prepare_threshold=0, so each statement is prepared
server-side (named Parse/Bind/Execute) on its first execution.
"""

import datetime as dt
import decimal
import os
import threading
import time

import psycopg
import pytest
from psycopg import errors, sql

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


def connect(**kw):
    kw.setdefault("prepare_threshold", 0)
    return psycopg.connect(**libpq_kwargs(**kw))


def prepared_names(conn):
    """Names of the statements psycopg prepared on this connection (internal API)."""
    return list(getattr(conn._prepared, "_names", {}).values())


# (1) transactions ----------------------------------------------------------


def test_commit_and_rollback(table_name):
    with connect() as conn:
        conn.execute(f"CREATE TABLE {table_name} (id int PRIMARY KEY, v text)")
        conn.commit()

        conn.execute(f"INSERT INTO {table_name} VALUES (%s, %s)", (1, "kept"))
        conn.commit()
        conn.execute(f"INSERT INTO {table_name} VALUES (%s, %s)", (2, "rolled back"))
        conn.rollback()

        with conn.transaction():
            conn.execute(f"INSERT INTO {table_name} VALUES (%s, %s)", (3, "ctx kept"))
        with pytest.raises(ZeroDivisionError):
            with conn.transaction():
                conn.execute(f"INSERT INTO {table_name} VALUES (%s, %s)", (4, "ctx rb"))
                1 / 0
        conn.commit()

    # Seen from another connection: only the committed rows exist.
    with connect(autocommit=True) as other:
        rows = other.execute(f"SELECT id FROM {table_name} ORDER BY id").fetchall()
        assert rows == [(1,), (3,)]


def test_explicit_begin_commit_rollback_autocommit(table_name):
    with connect(autocommit=True) as conn:
        conn.execute(f"CREATE TABLE {table_name} (id int)")
        conn.execute("BEGIN")
        conn.execute(f"INSERT INTO {table_name} VALUES (1)")
        conn.execute("COMMIT")
        conn.execute("BEGIN")
        conn.execute(f"INSERT INTO {table_name} VALUES (2)")
        assert conn.info.transaction_status == psycopg.pq.TransactionStatus.INTRANS
        conn.execute("ROLLBACK")
        assert conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
        assert conn.execute(f"SELECT array_agg(id) FROM {table_name}").fetchone()[0] == [1]


# (2) prepared statements reused ---------------------------------------------


def test_prepared_reused_across_transactions(table_name):
    with connect() as conn:
        conn.execute(f"CREATE TABLE {table_name} (id int PRIMARY KEY, v text)")
        conn.commit()
        ins = f"INSERT INTO {table_name} (id, v) VALUES (%s, %s)"
        sel = f"SELECT v FROM {table_name} WHERE id = %s"
        cnt = f"SELECT count(*) FROM {table_name}"
        for i in range(50):
            with conn.transaction():
                conn.execute(ins, (i, f"row {i}"))
                assert conn.execute(sel, (i,)).fetchone() == (f"row {i}",)
                assert conn.execute(cnt).fetchone()[0] == i + 1
        assert len(prepared_names(conn)) >= 3

    # Same statements in autocommit mode, each its own implicit transaction.
    with connect(autocommit=True) as conn:
        for i in range(50, 100):
            conn.execute(ins, (i, f"row {i}"))
            assert conn.execute(sel, (i,)).fetchone() == (f"row {i}",)
        assert conn.execute(cnt).fetchone()[0] == 100
        assert len(prepared_names(conn)) >= 3


def test_prepared_same_names_on_many_connections():
    """Each psycopg connection names its first statement _pg3_0; different
    connections give that name to different SQL. A pooling proxy must not mix
    them up when connections share backends."""
    texts = [
        "SELECT %s::int + 1",
        "SELECT %s::text || '-suffix'",
        "SELECT %s::int * 1000, 'three'",
        "SELECT ARRAY[%s::int, 4]",
    ]
    expect = [
        lambda i: (i + 1,),
        lambda i: (f"{i}-suffix",),
        lambda i: (i * 1000, "three"),
        lambda i: ([i, 4],),
    ]
    conns = [connect(autocommit=True) for _ in texts]
    try:
        for conn, text in zip(conns, texts):
            arg = "7" if "text" in text else 7
            conn.execute(text, (arg,))
            assert prepared_names(conn)[0] == b"_pg3_0"
        for i in range(50):
            for n, (conn, text) in enumerate(zip(conns, texts)):
                arg = str(i) if "text" in text else i
                if i % 2:
                    with conn.transaction():
                        row = conn.execute(text, (arg,)).fetchone()
                else:
                    row = conn.execute(text, (arg,)).fetchone()
                assert row == expect[n](i), (n, i, row)
    finally:
        for c in conns:
            c.close()


def test_executemany_pipeline(table_name):
    with connect(autocommit=True) as conn:
        conn.execute(f"CREATE TABLE {table_name} (id int, v text)")
        with conn.cursor() as cur:
            cur.executemany(
                f"INSERT INTO {table_name} VALUES (%s, %s)",
                [(i, str(i)) for i in range(500)],
            )
        with conn.pipeline():
            for i in range(100):
                conn.execute(f"UPDATE {table_name} SET v = %s WHERE id = %s", (f"p{i}", i))
        assert conn.execute(
            f"SELECT count(*) FROM {table_name} WHERE v LIKE 'p%%'"
        ).fetchone() == (100,)


# (3) COPY ------------------------------------------------------------------


def test_copy_text_round_trip(table_name):
    with connect(autocommit=True) as conn:
        conn.execute(f"CREATE TABLE {table_name} (id int, name text, note text)")
        with conn.cursor() as cur:
            with cur.copy(f"COPY {table_name} (id, name, note) FROM STDIN") as cp:
                for i in range(COPY_ROWS):
                    cp.write_row((i, f"name\t{i}\n", None if i % 7 == 0 else "é✓"))
            assert conn.execute(f"SELECT count(*) FROM {table_name}").fetchone() == (COPY_ROWS,)

            seen = 0
            checksum = 0
            with cur.copy(f"COPY (SELECT id, name, note FROM {table_name} ORDER BY id) TO STDOUT") as cp:
                for row in cp.rows():
                    i = int(row[0])
                    assert row[1] == f"name\t{i}\n"
                    assert row[2] == (None if i % 7 == 0 else "é✓")
                    checksum += i
                    seen += 1
            assert seen == COPY_ROWS
            assert checksum == sum(range(COPY_ROWS))
        # The connection is still usable after COPY.
        assert conn.execute("SELECT 1").fetchone() == (1,)


def test_copy_binary_round_trip(table_name):
    with connect(autocommit=True) as conn:
        conn.execute(f"CREATE TABLE {table_name} (id int, b bytea, f float8)")
        with conn.cursor() as cur:
            with cur.copy(f"COPY {table_name} FROM STDIN (FORMAT BINARY)") as cp:
                cp.set_types(["int4", "bytea", "float8"])
                for i in range(COPY_ROWS):
                    cp.write_row((i, i.to_bytes(4, "big") * 3, i / 4))
            with cur.copy(f"COPY (SELECT * FROM {table_name} ORDER BY id) TO STDOUT (FORMAT BINARY)") as cp:
                cp.set_types(["int4", "bytea", "float8"])
                rows = list(cp.rows())
        assert len(rows) == COPY_ROWS
        assert rows[1234] == (1234, (1234).to_bytes(4, "big") * 3, 1234 / 4)


# (4) large result sets -------------------------------------------------------


def test_large_result_server_side_cursor():
    with connect() as conn:
        total = rows = 0
        with conn.cursor(name="big_cursor") as cur:
            cur.itersize = 2000
            cur.execute(BIG_SQL)
            for (v,) in cur:
                total += len(v)
                rows += 1
        conn.commit()
        assert rows == BIG_ROWS
        assert total == BIG_ROWS * BIG_WIDTH


def test_large_result_stream_single_row_mode():
    with connect(autocommit=True) as conn:
        total = rows = 0
        with conn.cursor() as cur:
            for (v,) in cur.stream(BIG_SQL):
                total += len(v)
                rows += 1
        assert (rows, total) == (BIG_ROWS, BIG_ROWS * BIG_WIDTH)
        assert conn.execute("SELECT 2").fetchone() == (2,)


def test_large_result_fetchall_binary():
    with connect(autocommit=True) as conn:
        with conn.cursor(binary=True) as cur:
            cur.execute(BIG_SQL)
            data = cur.fetchall()
        assert len(data) == BIG_ROWS
        assert sum(len(r[0]) for r in data) == BIG_ROWS * BIG_WIDTH


# (5) NULLs, types, binary format -------------------------------------------------


def test_types_and_nulls_binary(table_name):
    payload = os.urandom(100_000) + bytes(range(256))
    ts = dt.datetime(2024, 2, 29, 23, 59, 58, 123456, tzinfo=dt.timezone.utc)
    row = (
        42,
        -(2**62),
        3.5,
        decimal.Decimal("12345678901234567890.0123456789"),
        ts,
        dt.date(1999, 12, 31),
        True,
        "héllo ☃ wörld",
        payload,
        None,
        [1, None, 3],
    )
    with connect(autocommit=True) as conn:
        conn.execute(
            f"""CREATE TABLE {table_name} (
                i int, bi bigint, f float8, n numeric, ts timestamptz, d date,
                b bool, t text, by bytea, nul int, arr int[])"""
        )
        for binary in (True, False):
            with conn.cursor(binary=binary) as cur:
                cur.execute(f"TRUNCATE {table_name}")
                cur.execute(
                    f"INSERT INTO {table_name} VALUES (%b, %b, %b, %b, %b, %b, %b, %b, %b, %b, %b)"
                    if binary
                    else f"INSERT INTO {table_name} VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                    row,
                )
                cur.execute(f"INSERT INTO {table_name} (i) VALUES (NULL)")
                cur.execute(f"SELECT * FROM {table_name} ORDER BY i NULLS LAST")
                got = cur.fetchall()
                assert cur.pgresult.fformat(0) == (1 if binary else 0)
            assert got[0] == row, f"binary={binary}"
            assert got[1] == (None,) * len(row)

        # Literal values computed by the server, read in binary.
        with conn.cursor(binary=True) as cur:
            cur.execute(
                "SELECT NULL::int, 1::int2, 2.25::float4, 'NaN'::float8, "
                "'-0.000001'::numeric, true, ''::text, '\\x00ff'::bytea, "
                "'2000-01-01 00:00:00'::timestamp"
            )
            r = cur.fetchone()
        assert r[0] is None and r[1] == 1 and r[2] == 2.25 and r[3] != r[3]
        assert r[4] == decimal.Decimal("-0.000001") and r[5] is True and r[6] == ""
        assert r[7] == b"\x00\xff" and r[8] == dt.datetime(2000, 1, 1)


# (6) errors ----------------------------------------------------------------------


def test_error_in_transaction_then_rollback():
    with connect() as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
        with pytest.raises(errors.DivisionByZero) as ei:
            conn.execute("SELECT 1 / %s", (0,))
        assert ei.value.sqlstate == "22012"
        with pytest.raises(errors.InFailedSqlTransaction):
            conn.execute("SELECT 2")
        conn.rollback()
        assert conn.execute("SELECT 3").fetchone() == (3,)
        conn.commit()


def test_error_outside_transaction():
    with connect(autocommit=True) as conn:
        with pytest.raises(errors.UndefinedTable):
            conn.execute("SELECT * FROM it_no_such_table_xyz")
        assert conn.execute("SELECT 'ok'").fetchone() == ("ok",)
        with pytest.raises(errors.InvalidTextRepresentation):
            conn.execute("SELECT %s::int", ("not a number",))
        with pytest.raises(errors.SyntaxError):
            conn.execute("SELEC 1")
        assert conn.execute("SELECT %s::int + 1", (1,)).fetchone() == (2,)
        assert conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE


def _terminate_backend(pid):
    """Ends server session `pid` from another connection (as an operator or a crash would) and
    waits until it is gone."""
    with psycopg.connect(**libpq_kwargs(), autocommit=True) as other:
        assert other.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone() == (True,)
        for _ in range(200):
            gone = other.execute(
                "SELECT count(*) = 0 FROM pg_stat_activity WHERE pid = %s", (pid,)
            ).fetchone()
            if gone == (True,):
                return
            time.sleep(0.025)
    raise AssertionError(f"backend {pid} still there")


@pytest.mark.parametrize("idle", [True, False], ids=["idle-in-tx", "mid-query"])
def test_server_lost_mid_transaction_never_commits_half(table_name, idle):
    """The server session holding a transaction is terminated: nothing of the transaction is
    committed, the driver never goes on outside it, and its retry path (the transaction block
    rolls back, or a new connection when the server or proxy ended this one) commits it once."""
    with connect(autocommit=True) as setup:
        setup.execute(f"CREATE TABLE {table_name} (attempt int, v int)")
    conn = connect()
    try:
        for attempt in (1, 2):
            try:
                with conn.transaction():
                    conn.execute(f"INSERT INTO {table_name} VALUES (%s, -101)", (attempt,))
                    if attempt == 1:
                        pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
                        if idle:
                            _terminate_backend(pid)
                        else:
                            threading.Timer(0.3, _terminate_backend, (pid,)).start()
                            conn.execute("SELECT pg_sleep(3)")
                    conn.execute(f"INSERT INTO {table_name} VALUES (%s, -102)", (attempt,))
                break
            except psycopg.OperationalError:
                assert attempt == 1
                if conn.closed:  # direct, and session mode: the connection ended
                    conn = connect()
                else:  # transaction mode: the block rolled back; the connection goes on
                    assert conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
    finally:
        conn.close()
    with connect() as check:
        rows = check.execute(f"SELECT attempt, v FROM {table_name} ORDER BY v DESC").fetchall()
    assert rows == [(2, -101), (2, -102)]


def test_error_in_pipeline_recovers():
    with connect(autocommit=True) as conn:
        with pytest.raises(errors.DivisionByZero):
            with conn.pipeline():
                conn.execute("SELECT 1")
                conn.execute("SELECT 1 / %s", (0,))
                conn.execute("SELECT 3")
        assert conn.execute("SELECT 4").fetchone() == (4,)


# (7) cancel ----------------------------------------------------------------------


def _cancel_after(conn, delay, method):
    def run():
        time.sleep(delay)
        getattr(conn, method)()

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


@pytest.mark.parametrize("method", ["cancel", "cancel_safe"])
@pytest.mark.parametrize("autocommit", [True, False])
def test_cancel_long_query(method, autocommit):
    with connect(autocommit=autocommit) as conn:
        conn.execute("SELECT 1")  # connection (and backend) surely established
        t = _cancel_after(conn, 0.5, method)
        start = time.monotonic()
        with pytest.raises(errors.QueryCanceled) as ei:
            conn.execute("SELECT pg_sleep(10)")
        elapsed = time.monotonic() - start
        t.join(5)
        assert ei.value.sqlstate == "57014"
        assert elapsed < 2.5, f"cancel took {elapsed:.2f}s"
        if not autocommit:
            conn.rollback()
        assert conn.execute("SELECT 'alive'").fetchone() == ("alive",)


# (7b) session state in every pool mode --------------------------------------------------


def test_session_settings_and_sql_prepare_follow_the_connection():
    """SET, set_config(..., false), RESET and SQL-level PREPARE last for the session whatever
    the pool mode, while other connections run transactions in between (so a transaction
    pooler hands this one different server connections)."""
    with connect(autocommit=True) as conn, connect(autocommit=True) as other:
        default_path = other.execute("SHOW search_path").fetchone()[0]
        conn.execute("SET search_path = pg_catalog, public")
        conn.execute("SET statement_timeout = '7s'")
        conn.execute("SELECT set_config('articdbm.tenant', 'tenant-1', false)")
        with conn.transaction():
            conn.execute("SET statement_timeout = '9s'")
            conn.execute("SELECT 1")
        try:
            with conn.transaction():
                conn.execute("SET search_path = nowhere")
                raise RuntimeError("roll back")
        except RuntimeError:
            pass
        # After the rollback: psycopg runs DEALLOCATE ALL when a transaction rolls back.
        conn.execute("PREPARE it_plus_one(int) AS SELECT $1 + 1")
        for _ in range(3):
            assert other.execute("SHOW search_path").fetchone()[0] == default_path
            assert other.execute("SELECT current_setting('articdbm.tenant', true)").fetchone()[0] in (None, "")
            assert conn.execute("SHOW search_path").fetchone()[0] == "pg_catalog, public"
            assert conn.execute("SHOW statement_timeout").fetchone()[0] == "9s"
            assert conn.execute("SELECT current_setting('articdbm.tenant')").fetchone()[0] == "tenant-1"
            assert conn.execute("EXECUTE it_plus_one(41)").fetchone()[0] == 42
        conn.execute("RESET ALL")
        assert conn.execute("SHOW search_path").fetchone()[0] == default_path
        conn.execute("DISCARD ALL")
        with pytest.raises(errors.InvalidSqlStatementName):
            conn.execute("EXECUTE it_plus_one(1)")


def test_startup_options_reach_the_server():
    opts = "-c statement_timeout=3s -c search_path=foo -c default_transaction_isolation=serializable"
    with connect(autocommit=True, options=opts) as conn, connect(autocommit=True) as other:
        for _ in range(2):
            other.execute("SELECT 1")
            assert conn.execute("SHOW statement_timeout").fetchone()[0] == "3s"
            assert conn.execute("SHOW search_path").fetchone()[0] == "foo"
            with conn.transaction():
                assert conn.execute("SHOW transaction_isolation").fetchone()[0] == "serializable"


# (8) LISTEN / NOTIFY ----------------------------------------------------------------


@session_only
def test_listen_notify(channel_name):
    with connect(autocommit=True) as listener, connect(autocommit=True) as sender:
        listener.execute(f"LISTEN {channel_name}")
        sender.execute("SELECT pg_notify(%s, %s)", (channel_name, "hello 1"))
        sender.execute(f"NOTIFY {channel_name}, 'hello 2'")
        got = [n.payload for n in listener.notifies(timeout=10, stop_after=2)]
        assert got[:2] == ["hello 1", "hello 2"]
        listener.execute(f"UNLISTEN {channel_name}")
        assert listener.execute("SELECT 1").fetchone() == (1,)


# (9) TLS ------------------------------------------------------------------------------


@needs_tls
def test_tls_verify_full():
    with psycopg.connect(**libpq_tls_kwargs(prepare_threshold=0, autocommit=True)) as conn:
        assert conn.pgconn.ssl_in_use
        assert conn.info.parameter_status("server_version")
        assert conn.execute("SELECT %s::int * 2", (21,)).fetchone() == (42,)
        t = _cancel_after(conn, 0.5, "cancel_safe")
        with pytest.raises(errors.QueryCanceled):
            conn.execute("SELECT pg_sleep(10)")
        t.join(5)


@needs_tls
def test_tls_wrong_host_name_rejected():
    kw = libpq_tls_kwargs(host="wrong-name.invalid")
    if "hostaddr" not in kw:
        pytest.skip("PGHOST is a name, cannot pin the address with hostaddr")
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(**kw)
