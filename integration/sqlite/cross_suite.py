"""Cross-protocol checks: a table SQLite itself made (python's sqlite3, before the proxy
started) read over both protocols with the issue's type mapping; rows written over the
PostgreSQL protocol read over MySQL and the other way round; a transaction open on one
protocol invisible to the other until COMMIT. Leaves it_keep_pg and it_keep_mysql behind for
file_suite.py (how the values are stored in the file)."""

import asyncio

import harness as h
import typesdata as td

NATIVE = "it_native_types"
KEEP_PG = "it_keep_pg"
KEEP_MYSQL = "it_keep_mysql"


def pg_read(table, binary=False):
    with h.pg_connect(autocommit=True) as conn:
        cur = conn.cursor(binary=binary)
        cur.execute(f"SELECT {', '.join(td.NAMES)} FROM {table} ORDER BY id")
        rows = cur.fetchall()
        return rows, {d.name: d.type_code for d in cur.description}


def asyncpg_read(table):
    import asyncpg

    async def go():
        conn = await asyncpg.connect(**h.asyncpg_kwargs())
        try:
            stmt = await conn.prepare(f"SELECT {', '.join(td.NAMES)} FROM {table} ORDER BY id")
            return [tuple(r) for r in await stmt.fetch()], {a.name: a.type.oid for a in stmt.get_attributes()}
        finally:
            await conn.close()

    return asyncio.run(asyncio.wait_for(go(), 50))


def mysql_read(table):
    conn = h.mysql_connect(autocommit=True)
    try:
        with conn.cursor() as cur:
            cur.execute(f"SELECT {', '.join(td.NAMES)} FROM {table} ORDER BY id")
            return cur.fetchall(), {d[0]: d[1] for d in cur.description}
    finally:
        conn.close()


def verify(rows, types, expect, names):
    """All columns of rows 1..6 and the NULL row against the expectations; one message with
    every problem, or the mapping seen."""
    problems, seen = [], []
    if len(rows) != td.ROWS + 1:
        raise AssertionError(f"{len(rows)} rows, want {td.ROWS + 1}")
    for idx, (col, values, _) in enumerate(td.COLUMNS):
        pytype, codes = expect[col]
        code = types.get(col)
        seen.append(f"{col}:{names.get(code, code)}")
        if code not in codes:
            problems.append(f"{col}: wire type {code} ({names.get(code, '?')}), want {[names.get(x, x) for x in sorted(codes)]}")
        try:
            td.compare_column(col, [r[idx] for r in rows[: td.ROWS]], values, pytype)
        except AssertionError as e:
            problems.append(f"{col}: {e}")
        if rows[td.ROWS][idx] is not None:
            problems.append(f"{col}: NULL came back as {rows[td.ROWS][idx]!r}")
    if problems:
        raise AssertionError("; ".join(problems))
    return " ".join(seen)


def main():
    c = h.Checks("cross")

    c.run("table made by sqlite3 read over PG (psycopg, text): INTEGER->int8 REAL->float8 TEXT->text BLOB->bytea ...",
          lambda: verify(*pg_read(NATIVE), td.PG_EXPECT, td.PG_TYPE_NAMES))
    c.run("table made by sqlite3 read over PG (psycopg, binary)",
          lambda: verify(*pg_read(NATIVE, binary=True), td.PG_EXPECT, td.PG_TYPE_NAMES))
    c.run("table made by sqlite3 read over PG (asyncpg)",
          lambda: verify(*asyncpg_read(NATIVE), td.PG_EXPECT, td.PG_TYPE_NAMES))
    c.run("table made by sqlite3 read over MySQL (PyMySQL)",
          lambda: verify(*mysql_read(NATIVE), td.MYSQL_EXPECT, td.MYSQL_TYPE_NAMES))

    cols = ", ".join(["id"] + td.NAMES)

    def write_pg():
        with h.pg_connect(autocommit=True) as conn:
            conn.execute(td.PG_DDL.format(t=KEEP_PG))
            marks = ", ".join(["%s"] * (len(td.NAMES) + 1))
            for k in range(td.ROWS):
                conn.execute(f"INSERT INTO {KEEP_PG} ({cols}) VALUES ({marks})", [k + 1] + td.row(k))
            conn.execute(f"INSERT INTO {KEEP_PG} (id) VALUES (%s)", (td.NULL_ID,))

    pg_written = c.run("rows written over PG (psycopg)", write_pg)

    def pg_to_mysql():
        if not pg_written:
            raise AssertionError("writing over PG failed")
        return verify(*mysql_read(KEEP_PG), td.MYSQL_EXPECT, td.MYSQL_TYPE_NAMES)

    c.run("rows written over PG read over MySQL (PyMySQL)", pg_to_mysql)

    def write_mysql():
        conn = h.mysql_connect(autocommit=True)
        try:
            with conn.cursor() as cur:
                cur.execute(td.MYSQL_DDL.format(t=KEEP_MYSQL))
                marks = ", ".join(["%s"] * (len(td.NAMES) + 1))
                for k in range(td.ROWS):
                    cur.execute(f"INSERT INTO {KEEP_MYSQL} ({cols}) VALUES ({marks})", [k + 1] + td.row(k))
                cur.execute(f"INSERT INTO {KEEP_MYSQL} (id) VALUES (%s)", (td.NULL_ID,))
        finally:
            conn.close()

    my_written = c.run("rows written over MySQL (PyMySQL)", write_mysql)

    def mysql_to_pg(binary):
        if not my_written:
            raise AssertionError("writing over MySQL failed")
        return verify(*pg_read(KEEP_MYSQL, binary), td.PG_EXPECT, td.PG_TYPE_NAMES)

    c.run("rows written over MySQL read over PG (psycopg, text)", lambda: mysql_to_pg(False))
    c.run("rows written over MySQL read over PG (psycopg, binary)", lambda: mysql_to_pg(True))

    def visibility():
        t = h.unique("xvis")
        pg = h.pg_connect(autocommit=True)
        my = h.mysql_connect(autocommit=True)
        try:
            pg.execute(f"CREATE TABLE {t} (id INTEGER PRIMARY KEY, origin TEXT NOT NULL)")
            with my.cursor() as cur:
                with pg.transaction():
                    pg.execute(f"INSERT INTO {t} VALUES (1, 'pg')")
                    cur.execute(f"SELECT COUNT(*) FROM {t}")
                    h.expect_equal("PG row before COMMIT, seen over MySQL", cur.fetchone(), (0,))
                cur.execute(f"SELECT origin FROM {t} WHERE id = 1")
                h.expect_equal("PG row after COMMIT, over MySQL", cur.fetchone(), ("pg",))
                my.begin()
                cur.execute(f"INSERT INTO {t} VALUES (2, 'mysql')")
                got = pg.execute(f"SELECT count(*) FROM {t} WHERE id = 2").fetchone()
                h.expect_equal("MySQL row before COMMIT, seen over PG", got, (0,))
                my.commit()
                got = pg.execute(f"SELECT origin FROM {t} WHERE id = 2").fetchone()
                h.expect_equal("MySQL row after COMMIT, over PG", got, ("mysql",))
                cur.execute(f"UPDATE {t} SET origin = 'mysql-updated' WHERE id = 1")
                got = pg.execute(f"SELECT origin FROM {t} WHERE id = 1").fetchone()
                h.expect_equal("MySQL update over PG", got, ("mysql-updated",))
            pg.execute(f"DROP TABLE {t}")
        finally:
            pg.close()
            my.close()
        return "uncommitted invisible, committed visible, both ways"

    c.run("transactions across protocols: visible only after COMMIT, both ways", visibility)
    return c.finish()


if __name__ == "__main__":
    raise SystemExit(main())
