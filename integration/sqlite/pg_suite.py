"""PostgreSQL-protocol checks against the SQLite database through the proxy: psycopg 3 with
server-side prepares (prepare_threshold=0) in text and binary formats, and asyncpg (binary,
prepared statements, parameter types from Describe). Type round-trips, CRUD, transactions,
errors with their SQLSTATE and the session still usable after each."""

import asyncio
import os

import harness as h
import typesdata as td

BIG_BLOB = os.urandom(10 * 1024 * 1024)


# --------------------------------------------------------------------------- psycopg


def psycopg_checks(c):
    import psycopg

    def connect_select():
        with h.pg_connect() as conn:
            got = conn.execute("SELECT 1").fetchone()
            h.expect_equal("SELECT 1", got, (1,))
            ver = conn.info.server_version
            return f"server_version={ver}, psycopg {psycopg.__version__}"

    c.run("psycopg connects (SCRAM) and runs SELECT 1 as a server-side prepared statement", connect_select)

    def prepared_reuse():
        with h.pg_connect(autocommit=True) as conn:
            t = h.unique("pgprep")
            conn.execute(f"CREATE TABLE {t} (id INTEGER PRIMARY KEY, v TEXT NOT NULL)")
            try:
                for k in range(50):
                    conn.execute(f"INSERT INTO {t} (id, v) VALUES (%s, %s)", (k, f"v{k}"))
                for k in range(50):
                    got = conn.execute(f"SELECT v FROM {t} WHERE id = %s", (k,)).fetchone()
                    h.expect_equal(f"row {k}", got, (f"v{k}",))
            finally:
                conn.execute(f"DROP TABLE {t}")
            return "50 inserts + 50 selects on two named prepared statements"

    c.run("psycopg prepared statements reused with different parameters", prepared_reuse)

    def crud():
        t = h.unique("pgcrud")
        with h.pg_connect(autocommit=True) as conn:
            conn.execute(f"CREATE TABLE {t} (id SERIAL PRIMARY KEY, name TEXT NOT NULL, qty INTEGER DEFAULT 0)")
            try:
                cur = conn.execute(f"INSERT INTO {t} (name, qty) VALUES (%s, %s) RETURNING id", ("apple", 3))
                first = cur.fetchone()[0]
                h.expect_equal("RETURNING id type", type(first), int)
                cur = conn.cursor()
                cur.executemany(f"INSERT INTO {t} (name, qty) VALUES (%s, %s)", [(f"n{k}", k) for k in range(20)])
                h.expect_equal("executemany rowcount", cur.rowcount, 20)
                cur = conn.execute(f"UPDATE {t} SET qty = qty + 100 WHERE qty >= %s", (10,))
                h.expect_equal("UPDATE rowcount", cur.rowcount, 10)
                cur = conn.execute(f"DELETE FROM {t} WHERE name LIKE %s", ("n1%",))
                h.expect_equal("DELETE rowcount", cur.rowcount, 11)
                rows = conn.execute(f"SELECT name, qty FROM {t} ORDER BY id").fetchall()
                h.expect_equal("rows left", len(rows), 10)
                h.expect_equal("first row", rows[0], ("apple", 3))
                h.expect_equal("qty sum", sum(q for _, q in rows), 3 + sum(range(2, 10)) + 0)
                h.expect_equal("DELETE command tag", cur.statusmessage, "DELETE 11")
            finally:
                conn.execute(f"DROP TABLE {t}")
        return "SERIAL, RETURNING, executemany (pipeline), UPDATE/DELETE rowcounts"

    c.run("psycopg DDL + CRUD (SERIAL, RETURNING, executemany, rowcounts)", crud)

    def transactions():
        t = h.unique("pgtx")
        with h.pg_connect(autocommit=True) as conn, h.pg_connect(autocommit=True) as other:
            conn.execute(f"CREATE TABLE {t} (id INTEGER PRIMARY KEY, v TEXT)")
            try:
                with conn.transaction():
                    conn.execute(f"INSERT INTO {t} VALUES (1, 'committed')")
                    seen = other.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                    h.expect_equal("uncommitted row seen by another session", seen, 0)
                try:
                    with conn.transaction():
                        conn.execute(f"INSERT INTO {t} VALUES (2, 'rolled back')")
                        raise RuntimeError("roll back")
                except RuntimeError:
                    pass
                rows = other.execute(f"SELECT id, v FROM {t} ORDER BY id").fetchall()
                h.expect_equal("rows after commit + rollback", rows, [(1, "committed")])
                # non-autocommit connection: implicit BEGIN, explicit commit/rollback
            finally:
                conn.execute(f"DROP TABLE IF EXISTS {t}")
        with h.pg_connect() as conn:
            conn.execute(f"CREATE TABLE {t} (id INTEGER PRIMARY KEY)")
            conn.commit()
            conn.execute(f"INSERT INTO {t} VALUES (1)")
            conn.rollback()
            conn.execute(f"INSERT INTO {t} VALUES (2)")
            conn.commit()
            h.expect_equal("implicit transactions", conn.execute(f"SELECT id FROM {t}").fetchall(), [(2,)])
            conn.execute(f"DROP TABLE {t}")
            conn.commit()
        return "isolation from another session, commit, rollback, implicit BEGIN"

    c.run("psycopg transactions: commit visible, rollback gone, uncommitted invisible", transactions)

    for binary in (False, True):
        types_roundtrip(c, binary)

    errors(c)


def types_roundtrip(c, binary):
    fmt = "binary" if binary else "text"
    ph = "%b" if binary else "%t"
    t = h.unique(f"pgtypes_{fmt}")
    state = {}

    def setup():
        conn = h.pg_connect(autocommit=True)
        state["conn"] = conn
        conn.execute(td.PG_DDL.format(t=t))
        cols = ", ".join(["id"] + td.NAMES)
        marks = ", ".join([ph] * (len(td.NAMES) + 1))
        cur = conn.cursor()
        for k in range(td.ROWS):
            cur.execute(f"INSERT INTO {t} ({cols}) VALUES ({marks})", [k + 1] + td.row(k))
        cur.execute(f"INSERT INTO {t} ({cols}) VALUES ({marks})", [td.NULL_ID] + [None] * len(td.NAMES))
        cur = conn.cursor(binary=binary)
        cur.execute(f"SELECT {', '.join(td.NAMES)} FROM {t} ORDER BY id")
        state["rows"] = cur.fetchall()
        state["oids"] = {d.name: d.type_code for d in cur.description}
        return f"{td.ROWS + 1} rows inserted with {fmt} parameters ({ph}), read back in {fmt} format"

    ok = c.run(f"psycopg ({fmt}) types table", setup)
    for idx, (col, values, label) in enumerate(td.COLUMNS):
        def one(col=col, values=values, idx=idx):
            if not ok:
                raise AssertionError("types table setup failed")
            pytype, oids = td.PG_EXPECT[col]
            oid = state["oids"].get(col)
            got = [r[idx] for r in state["rows"][: td.ROWS]]
            null = state["rows"][td.ROWS][idx]
            detail = td.compare_column(col, got, values, pytype)
            problems = []
            if oid not in oids:
                problems.append(f"column type OID {oid} ({td.PG_TYPE_NAMES.get(oid, '?')}), want {sorted(oids)}")
            if null is not None:
                problems.append(f"NULL came back as {null!r}")
            if problems:
                raise AssertionError("; ".join(problems))
            return f"{detail}, OID {oid} ({td.PG_TYPE_NAMES.get(oid)}), NULL -> None"

        c.run(f"psycopg ({fmt}) {label}", one)

    def infinity():
        if not ok:
            raise AssertionError("types table setup failed")
        conn = state["conn"]
        conn.execute(f"INSERT INTO {t} (id, f, dp) VALUES (200, {ph}, {ph})", (float("inf"), float("-inf")))
        got = conn.cursor(binary=binary).execute(f"SELECT f, dp FROM {t} WHERE id = 200").fetchone()
        h.expect_equal("infinity", got, (float("inf"), float("-inf")))

    c.run(f"psycopg ({fmt}) float8 Infinity / -Infinity", infinity)

    def big_blob():
        if not ok:
            raise AssertionError("types table setup failed")
        conn = state["conn"]
        conn.execute(f"INSERT INTO {t} (id, b) VALUES (300, {ph})", (BIG_BLOB,))
        got = conn.cursor(binary=binary).execute(f"SELECT b FROM {t} WHERE id = 300").fetchone()[0]
        if not isinstance(got, bytes) or got != BIG_BLOB:
            raise AssertionError(f"10 MB bytea differs: got {type(got).__name__} of {len(got)} bytes")
        conn.execute(f"DROP TABLE {t}")
        conn.close()
        return "10,485,760 bytes identical"

    c.run(f"psycopg ({fmt}) 10 MB bytea round-trip", big_blob, timeout=90)


def errors(c):
    import psycopg

    def setup(conn, p, ch):
        conn.execute(f"CREATE TABLE {p} (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)")
        conn.execute(f"CREATE TABLE {ch} (id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL REFERENCES {p}(id))")
        conn.execute(f"INSERT INTO {p} (id, name) VALUES (1, 'one')")

    cases = [
        ("duplicate key", "23505", "INSERT INTO {p} (id, name) VALUES (%s, %s)", (1, "dup")),
        ("duplicate key (UNIQUE column)", "23505", "INSERT INTO {p} (id, name) VALUES (%s, %s)", (2, "one")),
        ("NOT NULL", "23502", "INSERT INTO {p} (id, name) VALUES (%s, %s)", (3, None)),
        ("foreign key", "23503", "INSERT INTO {ch} (id, parent_id) VALUES (%s, %s)", (1, 999)),
        ("syntax error", "42601", "SELEC 1 FROM {p}", None),
        ("undefined table", "42P01", "SELECT * FROM it_no_such_table_x", None),
    ]
    p, ch = h.unique("pgerr_p"), h.unique("pgerr_c")
    holder = {}

    def prepare():
        conn = h.pg_connect(autocommit=True)
        holder["conn"] = conn
        setup(conn, p, ch)

    ready = c.run("psycopg error tables (parent, child with FOREIGN KEY)", prepare)
    for label, want, sql, params in cases:
        def one(want=want, sql=sql, params=params):
            if not ready:
                raise AssertionError("setup failed")
            conn = holder["conn"]
            try:
                conn.execute(sql.format(p=p, ch=ch), params)
            except psycopg.Error as e:
                if e.sqlstate != want:
                    raise AssertionError(f"SQLSTATE {e.sqlstate}, want {want}: {e}") from None
                msg = h.one_line(str(e), 120)
            else:
                raise AssertionError(f"no error, want SQLSTATE {want}")
            h.expect_equal("session after the error", conn.execute("SELECT 2").fetchone(), (2,))
            return f"{want} \"{msg}\"; session usable"

        c.run(f"psycopg error {label} -> {want}", one)

    def in_transaction():
        if not ready:
            raise AssertionError("setup failed")
        conn = holder["conn"]
        conn.execute("BEGIN")
        conn.execute(f"INSERT INTO {p} (id, name) VALUES (10, 'ten')")
        try:
            conn.execute(f"INSERT INTO {p} (id, name) VALUES (1, 'dup')")
            raise AssertionError("no error for a duplicate key")
        except psycopg.errors.UniqueViolation:
            pass
        try:
            conn.execute("SELECT 1")
            raise AssertionError("a statement after an error in a transaction ran (want 25P02)")
        except psycopg.errors.InFailedSqlTransaction:
            pass
        conn.execute("ROLLBACK")
        got = conn.execute(f"SELECT count(*) FROM {p} WHERE id = 10").fetchone()
        h.expect_equal("row of the rolled back transaction", got, (0,))
        conn.execute(f"DROP TABLE {ch}")
        conn.execute(f"DROP TABLE {p}")
        conn.close()
        return "23505 inside BEGIN, then 25P02 until ROLLBACK, then usable; the transaction's row gone"

    c.run("psycopg error inside a transaction -> 25P02 until ROLLBACK", in_transaction)


# --------------------------------------------------------------------------- asyncpg


def asyncpg_checks(c):
    import asyncpg

    def run(coro_fn, timeout=50):
        async def wrapped():
            return await asyncio.wait_for(coro_fn(), timeout)

        return lambda: asyncio.run(wrapped())

    async def connect_select():
        conn = await asyncpg.connect(**h.asyncpg_kwargs())
        try:
            got = await conn.fetchval("SELECT 1")
            h.expect_equal("SELECT 1", got, 1)
            return f"server_version={conn.get_server_version()}, asyncpg {asyncpg.__version__}"
        finally:
            await conn.close()

    c.run("asyncpg connects and runs SELECT 1", run(connect_select), timeout=60)

    t = h.unique("apgtypes")
    state = {}

    async def setup():
        conn = await asyncpg.connect(**h.asyncpg_kwargs())
        try:
            await conn.execute(td.PG_DDL.format(t=t))
            cols = ", ".join(["id"] + td.NAMES)
            marks = ", ".join(f"${n + 1}" for n in range(len(td.NAMES) + 1))
            await conn.executemany(
                f"INSERT INTO {t} ({cols}) VALUES ({marks})",
                [[k + 1] + td.row(k) for k in range(td.ROWS)] + [[td.NULL_ID] + [None] * len(td.NAMES)],
            )
            stmt = await conn.prepare(f"SELECT {', '.join(td.NAMES)} FROM {t} ORDER BY id")
            state["oids"] = {a.name: a.type.oid for a in stmt.get_attributes()}
            state["rows"] = [tuple(r) for r in await stmt.fetch()]
            return "uncast $n parameters typed by the proxy's ParameterDescription; binary results"
        finally:
            await conn.close()

    ok = c.run("asyncpg types table (executemany with $n, prepared SELECT)", run(setup), timeout=60)
    for idx, (col, values, label) in enumerate(td.COLUMNS):
        def one(col=col, values=values, idx=idx):
            if not ok:
                raise AssertionError("types table setup failed")
            pytype, oids = td.PG_EXPECT[col]
            oid = state["oids"].get(col)
            got = [r[idx] for r in state["rows"][: td.ROWS]]
            detail = td.compare_column(col, got, values, pytype)
            if oid not in oids:
                raise AssertionError(f"column type OID {oid}, want {sorted(oids)}")
            null = state["rows"][td.ROWS][idx]
            if null is not None:
                raise AssertionError(f"NULL came back as {null!r}")
            return f"{detail}, OID {oid} ({td.PG_TYPE_NAMES.get(oid)}), NULL -> None"

        c.run(f"asyncpg {label}", one)

    async def cast_params():
        conn = await asyncpg.connect(**h.asyncpg_kwargs())
        try:
            t2 = h.unique("apgcast")
            await conn.execute(f"CREATE TABLE {t2} (id BIGINT PRIMARY KEY, v TEXT, n NUMERIC)")
            await conn.execute(f"INSERT INTO {t2} VALUES ($1::int8, $2::text, $3::numeric)", 5, "five", td.NUMERICS[1])
            got = await conn.fetchrow(f"SELECT id, v, n FROM {t2} WHERE id = $1::int8", 5)
            await conn.execute(f"DROP TABLE {t2}")
            h.expect_equal("row", tuple(got), (5, "five", td.NUMERICS[1]))
        finally:
            await conn.close()

    c.run("asyncpg explicitly cast parameters ($1::int8, $2::text, $3::numeric)", run(cast_params))

    async def big_blob():
        conn = await asyncpg.connect(**h.asyncpg_kwargs())
        try:
            await conn.execute(f"INSERT INTO {t} (id, b) VALUES ($1, $2)", 300, BIG_BLOB)
            got = await conn.fetchval(f"SELECT b FROM {t} WHERE id = $1", 300)
            if got != BIG_BLOB:
                raise AssertionError(f"10 MB bytea differs ({len(got or b'')} bytes back)")
            return "10,485,760 bytes identical"
        finally:
            await conn.close()

    c.run("asyncpg 10 MB bytea round-trip", run(big_blob, 80), timeout=90)

    async def tx_and_errors():
        conn = await asyncpg.connect(**h.asyncpg_kwargs())
        try:
            t3 = h.unique("apgtx")
            await conn.execute(f"CREATE TABLE {t3} (id INTEGER PRIMARY KEY, v TEXT NOT NULL)")
            async with conn.transaction():
                await conn.execute(f"INSERT INTO {t3} VALUES ($1, $2)", 1, "kept")
            try:
                async with conn.transaction():
                    await conn.execute(f"INSERT INTO {t3} VALUES ($1, $2)", 2, "gone")
                    raise RuntimeError("roll back")
            except RuntimeError:
                pass
            rows = [tuple(r) for r in await conn.fetch(f"SELECT id, v FROM {t3} ORDER BY id")]
            h.expect_equal("rows", rows, [(1, "kept")])
            seen = []
            for sql, args, want in [
                (f"INSERT INTO {t3} VALUES ($1, $2)", (1, "dup"), "23505"),
                (f"INSERT INTO {t3} VALUES ($1, $2)", (3, None), "23502"),
                ("SELEC 1", (), "42601"),
            ]:
                try:
                    await conn.execute(sql, *args)
                    raise AssertionError(f"no error for {sql!r}, want {want}")
                except asyncpg.PostgresError as e:
                    if e.sqlstate != want:
                        raise AssertionError(f"{sql!r}: SQLSTATE {e.sqlstate} ({e}), want {want}") from None
                    seen.append(want)
                h.expect_equal("session after the error", await conn.fetchval("SELECT 3"), 3)
            await conn.execute(f"DROP TABLE {t3}")
            await conn.execute(f"DROP TABLE {t}")
            return "commit/rollback; errors " + ", ".join(seen) + " each followed by a working statement"
        finally:
            await conn.close()

    c.run("asyncpg transactions and errors (23505, 23502, 42601)", run(tx_and_errors))


def main():
    c = h.Checks("pg")
    psycopg_checks(c)
    asyncpg_checks(c)
    return c.finish()


if __name__ == "__main__":
    raise SystemExit(main())
