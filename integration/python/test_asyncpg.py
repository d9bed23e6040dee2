"""asyncpg against PostgreSQL or the ArticDBM proxy.

asyncpg speaks the extended protocol with binary formats and caches named
prepared statements per connection (statement_cache_size default 100).
"""

import asyncio
import datetime as dt
import decimal
import functools
import io
import os
import ssl
import time
import uuid

import asyncpg
import pytest

from conftest import (
    BIG_ROWS,
    BIG_SQL,
    BIG_WIDTH,
    COPY_ROWS,
    SSLHOST,
    SSLROOTCERT,
    asyncpg_kwargs,
    needs_tls,
    session_only,
)


def run_async(fn):
    """Run an async test function in a fresh event loop (no pytest-asyncio needed)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return asyncio.run(fn(*args, **kwargs))

    return wrapper


async def connect(**kw):
    return await asyncpg.connect(**asyncpg_kwargs(**kw))


# (1) transactions ----------------------------------------------------------


@run_async
async def test_commit_and_rollback(table_name):
    conn = await connect()
    try:
        await conn.execute(f"CREATE TABLE {table_name} (id int PRIMARY KEY, v text)")
        async with conn.transaction():
            await conn.execute(f"INSERT INTO {table_name} VALUES ($1, $2)", 1, "kept")
        tr = conn.transaction()
        await tr.start()
        await conn.execute(f"INSERT INTO {table_name} VALUES ($1, $2)", 2, "rolled back")
        assert conn.is_in_transaction()
        await tr.rollback()
        assert not conn.is_in_transaction()
        with pytest.raises(ZeroDivisionError):
            async with conn.transaction():
                await conn.execute(f"INSERT INTO {table_name} VALUES ($1, $2)", 3, "ctx rb")
                1 / 0
        await conn.execute("BEGIN")
        await conn.execute(f"INSERT INTO {table_name} VALUES (4, 'explicit')")
        await conn.execute("COMMIT")
    finally:
        await conn.close()
    other = await connect()
    try:
        ids = [r["id"] for r in await other.fetch(f"SELECT id FROM {table_name} ORDER BY id")]
        assert ids == [1, 4]
    finally:
        await other.close()


# (2) prepared statements reused ---------------------------------------------


@run_async
async def test_statement_cache_across_transactions(table_name):
    conn = await connect()
    try:
        await conn.execute(f"CREATE TABLE {table_name} (id int PRIMARY KEY, v text)")
        ins = f"INSERT INTO {table_name} (id, v) VALUES ($1, $2)"
        sel = f"SELECT v FROM {table_name} WHERE id = $1"
        for i in range(50):
            async with conn.transaction():
                await conn.execute(ins, i, f"row {i}")
                assert await conn.fetchval(sel, i) == f"row {i}"
        for i in range(50, 100):  # autocommit
            await conn.execute(ins, i, f"row {i}")
            assert await conn.fetchval(sel, i) == f"row {i}"
        assert await conn.fetchval(f"SELECT count(*) FROM {table_name}") == 100
        assert len(conn._stmt_cache) >= 2  # the cached named statements were reused
    finally:
        await conn.close()


@run_async
async def test_explicit_prepare_reused(table_name):
    conn = await connect()
    try:
        await conn.execute(f"CREATE TABLE {table_name} (id int, v text)")
        ins = await conn.prepare(f"INSERT INTO {table_name} VALUES ($1, $2)")
        sel = await conn.prepare(f"SELECT v, id * 2 AS d FROM {table_name} WHERE id = $1")
        for i in range(50):
            async with conn.transaction():
                await ins.fetch(i, str(i))
                row = await sel.fetchrow(i)
                assert (row["v"], row["d"]) == (str(i), 2 * i)
        for i in range(50):
            assert await sel.fetchval(i) == str(i)
        await conn.executemany(
            f"INSERT INTO {table_name} VALUES ($1, $2)", [(i, "many") for i in range(100, 300)]
        )
        assert await conn.fetchval(f"SELECT count(*) FROM {table_name}") == 250
    finally:
        await conn.close()


@run_async
async def test_many_connections_interleaved():
    """Several connections each with their own cached statements, interleaved."""
    conns = [await connect() for _ in range(4)]
    try:
        for i in range(50):
            results = await asyncio.gather(
                *(c.fetchval(f"SELECT $1::int + {n}", i) for n, c in enumerate(conns))
            )
            assert results == [i + n for n in range(4)]
    finally:
        for c in conns:
            await c.close()


# (3) COPY ------------------------------------------------------------------


@run_async
async def test_copy_round_trip(table_name):
    conn = await connect()
    try:
        await conn.execute(f"CREATE TABLE {table_name} (id int, name text, note text, b bytea)")
        records = [
            (i, f"name\t{i}\n", None if i % 7 == 0 else "é✓", i.to_bytes(4, "big"))
            for i in range(COPY_ROWS)
        ]
        res = await conn.copy_records_to_table(table_name, records=records)
        assert res == f"COPY {COPY_ROWS}"

        buf = io.BytesIO()
        res = await conn.copy_from_query(
            f"SELECT id, note FROM {table_name} ORDER BY id", output=buf, format="csv"
        )
        assert res == f"COPY {COPY_ROWS}"
        lines = buf.getvalue().decode().splitlines()
        assert len(lines) == COPY_ROWS
        assert lines[0] == "0," and lines[1] == "1,é✓"

        chunks = []

        async def sink(data):
            chunks.append(len(data))

        await conn.copy_from_table(table_name, output=sink, format="binary")
        assert sum(chunks) > COPY_ROWS * 20

        # text COPY FROM a file-like source back into a second copy of the table
        await conn.execute(f"CREATE TABLE {table_name}_2 (id int, note text)")
        try:
            src = io.BytesIO(buf.getvalue())
            res = await conn.copy_to_table(f"{table_name}_2", source=src, format="csv")
            assert res == f"COPY {COPY_ROWS}"
            diff = await conn.fetchval(
                f"SELECT count(*) FROM {table_name} a FULL JOIN {table_name}_2 b USING (id) "
                "WHERE a.note IS DISTINCT FROM b.note"
            )
            assert diff == 0
        finally:
            await conn.execute(f"DROP TABLE IF EXISTS {table_name}_2")
        assert await conn.fetchval("SELECT 1") == 1
    finally:
        await conn.close()


# (4) large result sets -------------------------------------------------------


@run_async
async def test_large_result_cursor():
    conn = await connect()
    try:
        total = rows = 0
        async with conn.transaction():
            async for r in conn.cursor(BIG_SQL, prefetch=2000):
                total += len(r[0])
                rows += 1
        assert (rows, total) == (BIG_ROWS, BIG_ROWS * BIG_WIDTH)
        async with conn.transaction():
            cur = await conn.cursor(BIG_SQL)
            await cur.forward(BIG_ROWS - 10)
            assert len(await cur.fetch(100)) == 10
    finally:
        await conn.close()


@run_async
async def test_large_result_fetch_all():
    conn = await connect()
    try:
        rows = await conn.fetch(BIG_SQL)
        assert len(rows) == BIG_ROWS
        assert sum(len(r[0]) for r in rows) == BIG_ROWS * BIG_WIDTH
    finally:
        await conn.close()


# (5) NULLs and binary format -------------------------------------------------------


@run_async
async def test_types_nulls_binary(table_name):
    payload = os.urandom(100_000) + bytes(range(256))
    row = (
        42,
        -(2**62),
        3.5,
        decimal.Decimal("12345678901234567890.0123456789"),
        dt.datetime(2024, 2, 29, 23, 59, 58, 123456, tzinfo=dt.timezone.utc),
        dt.datetime(2000, 1, 1, 0, 0),
        True,
        "héllo ☃ wörld",
        payload,
        None,
        [1, None, 3],
        uuid.UUID("12345678-1234-5678-1234-567812345678"),
        {"a": [1, 2]},
    )
    conn = await connect()
    try:
        await conn.set_type_codec("jsonb", encoder=__import__("json").dumps,
                                  decoder=__import__("json").loads, schema="pg_catalog")
        await conn.execute(
            f"""CREATE TABLE {table_name} (
                i int, bi bigint, f float8, n numeric, tstz timestamptz, ts timestamp,
                b bool, t text, by bytea, nul int, arr int[], u uuid, j jsonb)"""
        )
        await conn.execute(
            f"INSERT INTO {table_name} VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13)", *row
        )
        await conn.execute(f"INSERT INTO {table_name} (i) VALUES (NULL)")
        got = await conn.fetch(f"SELECT * FROM {table_name} ORDER BY i NULLS LAST")
        assert tuple(got[0]) == row
        assert tuple(got[1]) == (None,) * len(row)
        r = await conn.fetchrow(
            "SELECT NULL::int a, 2.25::float4 b, 'NaN'::float8 c, '-0.000001'::numeric d, "
            "''::text e, '\\x00ff'::bytea f, $1::text g, $2::int h",
            None,
            None,
        )
        assert r["a"] is None and r["b"] == 2.25 and r["c"] != r["c"]
        assert r["d"] == decimal.Decimal("-0.000001") and r["e"] == "" and r["f"] == b"\x00\xff"
        assert r["g"] is None and r["h"] is None
    finally:
        await conn.close()


# (6) errors ----------------------------------------------------------------------


@run_async
async def test_error_in_transaction_then_rollback():
    conn = await connect()
    try:
        await conn.execute("BEGIN")
        with pytest.raises(asyncpg.DivisionByZeroError) as ei:
            await conn.fetchval("SELECT 1 / $1::int", 0)
        assert ei.value.sqlstate == "22012"
        with pytest.raises(asyncpg.InFailedSQLTransactionError):
            await conn.fetchval("SELECT 2")
        await conn.execute("ROLLBACK")
        assert await conn.fetchval("SELECT 3") == 3
        with pytest.raises(asyncpg.DivisionByZeroError):
            async with conn.transaction():
                await conn.execute("SELECT 1/0")
        assert not conn.is_in_transaction()
        assert await conn.fetchval("SELECT $1::int", 4) == 4
    finally:
        await conn.close()


async def _terminate_backend(pid):
    """Ends server session `pid` from another connection and waits until it is gone."""
    other = await connect()
    try:
        assert await other.fetchval("SELECT pg_terminate_backend($1)", pid)
        for _ in range(200):
            if await other.fetchval("SELECT count(*) = 0 FROM pg_stat_activity WHERE pid = $1", pid):
                return
            await asyncio.sleep(0.025)
        raise AssertionError(f"backend {pid} still there")
    finally:
        await other.close()


@pytest.mark.parametrize("idle", [True, False], ids=["idle-in-tx", "mid-query"])
@run_async
async def test_server_lost_mid_transaction_never_commits_half(table_name, idle):
    """The server session holding a transaction is terminated: nothing of the transaction is
    committed, and the retry path (roll back, or reconnect when the connection ended) commits it
    once."""
    conn = await connect()
    try:
        await conn.execute(f"CREATE TABLE {table_name} (attempt int, v int)")
        for attempt in (1, 2):
            try:
                async with conn.transaction():
                    await conn.execute(f"INSERT INTO {table_name} VALUES ($1, -101)", attempt)
                    if attempt == 1:
                        pid = await conn.fetchval("SELECT pg_backend_pid()")
                        if idle:
                            await _terminate_backend(pid)
                        else:
                            killer = asyncio.ensure_future(_after(0.3, _terminate_backend(pid)))
                            try:
                                await conn.execute("SELECT pg_sleep(3)")
                            finally:
                                await killer
                    await conn.execute(f"INSERT INTO {table_name} VALUES ($1, -102)", attempt)
                break
            except (asyncpg.PostgresError, asyncpg.InterfaceError, ConnectionError, OSError):
                assert attempt == 1
                if conn.is_closed():  # direct, and session mode: the connection ended
                    conn = await connect()
                else:  # transaction mode: rolled back, the connection goes on
                    assert not conn.is_in_transaction()
        rows = await conn.fetch(f"SELECT attempt, v FROM {table_name} ORDER BY v DESC")
        assert [tuple(r) for r in rows] == [(2, -101), (2, -102)]
    finally:
        await conn.close()


async def _after(delay, coro):
    await asyncio.sleep(delay)
    await coro


@run_async
async def test_error_outside_transaction():
    conn = await connect()
    try:
        with pytest.raises(asyncpg.UndefinedTableError):
            await conn.fetch("SELECT * FROM it_no_such_table_xyz")
        assert await conn.fetchval("SELECT 'ok'") == "ok"
        with pytest.raises(asyncpg.PostgresSyntaxError):
            await conn.fetch("SELEC 1")
        with pytest.raises(asyncpg.DataError):
            await conn.fetchval("SELECT $1::int", "not an int")  # client-side encode error
        with pytest.raises(asyncpg.InvalidTextRepresentationError):
            await conn.fetchval("SELECT $1::text::int", "x")  # server-side
        assert await conn.fetchval("SELECT $1::int + 1", 1) == 2
    finally:
        await conn.close()


# (7) cancel ----------------------------------------------------------------------


@run_async
async def test_cancel_by_timeout():
    """A timeout on fetch makes asyncpg send a protocol CancelRequest. If the
    cancel is lost, the next query waits for pg_sleep to finish (10 s)."""
    conn = await connect()
    try:
        await conn.fetchval("SELECT 1")
        start = time.monotonic()
        with pytest.raises(asyncio.TimeoutError):
            await conn.fetch("SELECT pg_sleep(10)", timeout=0.5)
        assert await conn.fetchval("SELECT 'alive'", timeout=5) == "alive"
        elapsed = time.monotonic() - start
        assert elapsed < 2.5, f"cancel took {elapsed:.2f}s"
    finally:
        await conn.close()


@run_async
async def test_cancel_sqlstate():
    """Same CancelRequest (asyncpg's internal helper) while the query task is
    still waiting for its result, so the server's 57014 reaches the caller."""
    conn = await connect()
    try:
        await conn.fetchval("SELECT 1")
        task = asyncio.ensure_future(conn.fetchval("SELECT pg_sleep(10)"))
        await asyncio.sleep(0.5)
        start = time.monotonic()
        waiter = asyncio.get_running_loop().create_future()
        conn._cancel_current_command(waiter)
        await asyncio.wait_for(waiter, 5)
        with pytest.raises(asyncpg.QueryCanceledError) as ei:
            await asyncio.wait_for(task, 5)
        assert ei.value.sqlstate == "57014"
        assert time.monotonic() - start < 2
        assert await conn.fetchval("SELECT 'alive'", timeout=5) == "alive"
    finally:
        await conn.close()


# (8) LISTEN / NOTIFY ----------------------------------------------------------------


@session_only
@run_async
async def test_listen_notify(channel_name):
    listener = await connect()
    sender = await connect()
    try:
        got = asyncio.Queue()
        def on_notify(_conn, _pid, ch, payload):
            got.put_nowait((ch, payload))

        await listener.add_listener(channel_name, on_notify)
        await sender.execute("SELECT pg_notify($1, $2)", channel_name, "payload 1")
        await sender.execute(f"NOTIFY {channel_name}, 'payload 2'")
        assert await asyncio.wait_for(got.get(), 10) == (channel_name, "payload 1")
        assert await asyncio.wait_for(got.get(), 10) == (channel_name, "payload 2")
        await listener.remove_listener(channel_name, on_notify)
        assert await listener.fetchval("SELECT 1") == 1
    finally:
        await listener.close()
        await sender.close()


# (9) TLS ------------------------------------------------------------------------------


@needs_tls
@run_async
async def test_tls_verify_full():
    ctx = ssl.create_default_context(cafile=SSLROOTCERT)
    ctx.check_hostname = True
    # asyncpg verifies the name it connects to, so connect to PGSSLHOST.
    conn = await connect(host=SSLHOST, ssl=ctx)
    try:
        assert conn._transport.get_extra_info("ssl_object") is not None
        assert await conn.fetchval("SELECT $1::int * 2", 21) == 42
        # CancelRequest sent over its own TLS connection, as asyncpg does with ssl.
        with pytest.raises(asyncio.TimeoutError):
            await conn.fetch("SELECT pg_sleep(10)", timeout=0.5)
        assert await conn.fetchval("SELECT 1", timeout=5) == 1
    finally:
        await conn.close()
