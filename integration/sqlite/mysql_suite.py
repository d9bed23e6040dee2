"""MySQL-protocol checks (PyMySQL, text protocol with client-side escaping) against the SQLite
database through the proxy: type round-trips, AUTO_INCREMENT and lastrowid, autocommit off
(PyMySQL's default: implicit transactions), errors with their MySQL numbers and the session
still usable after each."""

import os

import harness as h
import typesdata as td

BIG_BLOB = os.urandom(10 * 1024 * 1024)


def main():
    import pymysql

    c = h.Checks("mysql")

    def connect_select():
        conn = h.mysql_connect()
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT 1")
                h.expect_equal("SELECT 1", cur.fetchall(), ((1,),))
                return f"server {conn.get_server_info()!r}, PyMySQL {pymysql.VERSION_STRING}"
        finally:
            conn.close()

    c.run("PyMySQL connects (caching_sha2_password) and runs SELECT 1", connect_select)

    def crud():
        t = h.unique("mycrud")
        conn = h.mysql_connect(autocommit=True)
        try:
            with conn.cursor() as cur:
                cur.execute(f"CREATE TABLE {t} (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(50) NOT NULL, qty INT DEFAULT 0)")
                cur.execute(f"INSERT INTO {t} (name, qty) VALUES (%s, %s)", ("apple", 3))
                h.expect_equal("lastrowid", cur.lastrowid, 1)
                n = cur.executemany(f"INSERT INTO {t} (name, qty) VALUES (%s, %s)", [(f"n{k}", k) for k in range(20)])
                h.expect_equal("executemany rowcount (one multi-row INSERT)", n, 20)
                n = cur.execute(f"UPDATE {t} SET qty = qty + 100 WHERE qty >= %s", (10,))
                h.expect_equal("UPDATE affected rows", n, 10)
                n = cur.execute(f"DELETE FROM {t} WHERE name LIKE %s", ("n1%",))
                h.expect_equal("DELETE affected rows", n, 11)
                cur.execute(f"SELECT name, qty FROM {t} ORDER BY id")
                rows = cur.fetchall()
                h.expect_equal("rows left", len(rows), 10)
                h.expect_equal("first row", rows[0], ("apple", 3))
                cur.execute(f"DROP TABLE {t}")
        finally:
            conn.close()
        return "AUTO_INCREMENT + lastrowid, executemany, affected rows"

    c.run("PyMySQL DDL + CRUD (AUTO_INCREMENT, lastrowid, executemany, affected rows)", crud)

    def transactions():
        t = h.unique("mytx")
        conn = h.mysql_connect()  # autocommit off: PyMySQL's default
        other = h.mysql_connect(autocommit=True)
        try:
            with conn.cursor() as cur, other.cursor() as ocur:
                cur.execute(f"CREATE TABLE {t} (id INTEGER PRIMARY KEY, v TEXT)")
                conn.commit()
                cur.execute(f"INSERT INTO {t} VALUES (1, 'committed')")
                ocur.execute(f"SELECT COUNT(*) FROM {t}")
                h.expect_equal("uncommitted row (autocommit=0) seen by another session", ocur.fetchone(), (0,))
                conn.commit()
                cur.execute(f"INSERT INTO {t} VALUES (2, 'rolled back')")
                conn.rollback()
                conn.begin()
                cur.execute(f"INSERT INTO {t} VALUES (3, 'explicit')")
                conn.commit()
                ocur.execute(f"SELECT id, v FROM {t} ORDER BY id")
                h.expect_equal("rows", ocur.fetchall(), ((1, "committed"), (3, "explicit")))
                ocur.execute(f"DROP TABLE {t}")
        finally:
            conn.close()
            other.close()
        return "autocommit=0 implicit transactions, commit, rollback, BEGIN"

    c.run("PyMySQL transactions (autocommit off): commit visible, rollback gone", transactions)

    types_roundtrip(c)

    errors(c)
    return c.finish()


def types_roundtrip(c):
    t = h.unique("mytypes")
    state = {}

    def setup():
        conn = h.mysql_connect(autocommit=True)
        state["conn"] = conn
        cols = ", ".join(["id"] + td.NAMES)
        marks = ", ".join(["%s"] * (len(td.NAMES) + 1))
        with conn.cursor() as cur:
            cur.execute(td.MYSQL_DDL.format(t=t))
            for k in range(td.ROWS):
                cur.execute(f"INSERT INTO {t} ({cols}) VALUES ({marks})", [k + 1] + td.row(k))
            cur.execute(f"INSERT INTO {t} ({cols}) VALUES ({marks})", [td.NULL_ID] + [None] * len(td.NAMES))
            cur.execute(f"SELECT {', '.join(td.NAMES)} FROM {t} ORDER BY id")
            state["rows"] = cur.fetchall()
            state["types"] = {d[0]: d[1] for d in cur.description}
        return f"{td.ROWS + 1} rows inserted as escaped literals (PyMySQL), read back in the text protocol"

    ok = c.run("PyMySQL types table", setup)
    for idx, (col, values, label) in enumerate(td.COLUMNS):
        if col == "flag":
            label = "BOOLEAN (as 1/0)"

        def one(col=col, values=values, idx=idx):
            if not ok:
                raise AssertionError("types table setup failed")
            pytype, codes = td.MYSQL_EXPECT[col]
            code = state["types"].get(col)
            got = [r[idx] for r in state["rows"][: td.ROWS]]
            detail = td.compare_column(col, got, values, pytype)
            problems = []
            if code not in codes:
                problems.append(f"field type {code} ({td.MYSQL_TYPE_NAMES.get(code, '?')}), want one of "
                                f"{[td.MYSQL_TYPE_NAMES.get(x, x) for x in sorted(codes)]}")
            null = state["rows"][td.ROWS][idx]
            if null is not None:
                problems.append(f"NULL came back as {null!r}")
            if problems:
                raise AssertionError("; ".join(problems))
            return f"{detail}, field type {td.MYSQL_TYPE_NAMES.get(code, code)}, NULL -> None"

        c.run(f"PyMySQL {label}", one)

    def big_blob():
        if not ok:
            raise AssertionError("types table setup failed")
        conn = state["conn"]
        with conn.cursor() as cur:
            cur.execute(f"INSERT INTO {t} (id, b) VALUES (%s, %s)", (300, BIG_BLOB))
            cur.execute(f"SELECT b FROM {t} WHERE id = %s", (300,))
            got = cur.fetchone()[0]
            if not isinstance(got, bytes) or got != BIG_BLOB:
                raise AssertionError(f"10 MB BLOB differs: got {type(got).__name__} of {len(got)} bytes")
            cur.execute(f"DROP TABLE {t}")
        conn.close()
        return "10,485,760 bytes identical (sent as an escaped _binary literal)"

    c.run("PyMySQL 10 MB LONGBLOB round-trip", big_blob, timeout=90)


def errors(c):
    import pymysql

    p, ch = h.unique("myerr_p"), h.unique("myerr_c")
    holder = {}

    def prepare():
        conn = h.mysql_connect(autocommit=True)
        holder["conn"] = conn
        with conn.cursor() as cur:
            cur.execute(f"CREATE TABLE {p} (id INTEGER PRIMARY KEY, name VARCHAR(20) NOT NULL UNIQUE)")
            cur.execute(f"CREATE TABLE {ch} (id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL, "
                        f"FOREIGN KEY (parent_id) REFERENCES {p}(id))")
            cur.execute(f"INSERT INTO {p} (id, name) VALUES (1, 'one')")

    ready = c.run("PyMySQL error tables (parent, child with FOREIGN KEY)", prepare)
    cases = [
        ("duplicate key", 1062, f"INSERT INTO {p} (id, name) VALUES (%s, %s)", (1, "dup")),
        ("duplicate key (UNIQUE column)", 1062, f"INSERT INTO {p} (id, name) VALUES (%s, %s)", (2, "one")),
        ("NOT NULL", 1048, f"INSERT INTO {p} (id, name) VALUES (%s, %s)", (3, None)),
        ("foreign key", 1452, f"INSERT INTO {ch} (id, parent_id) VALUES (%s, %s)", (1, 999)),
        ("syntax error", 1064, f"SELEC 1 FROM {p}", None),
        ("unknown table", 1146, "SELECT * FROM it_no_such_table_x", None),
    ]
    for label, want, sql, params in cases:
        def one(want=want, sql=sql, params=params):
            if not ready:
                raise AssertionError("setup failed")
            conn = holder["conn"]
            with conn.cursor() as cur:
                try:
                    cur.execute(sql, params)
                except pymysql.err.MySQLError as e:
                    code = e.args[0] if e.args else None
                    if code != want:
                        raise AssertionError(f"error {e.args}, want {want}") from None
                    msg = h.one_line(e.args[1] if len(e.args) > 1 else "", 120)
                else:
                    raise AssertionError(f"no error, want {want}")
                cur.execute("SELECT 2")
                h.expect_equal("session after the error", cur.fetchall(), ((2,),))
            return f"{want} \"{msg}\"; session usable"

        c.run(f"PyMySQL error {label} -> {want}", one)

    def in_transaction():
        if not ready:
            raise AssertionError("setup failed")
        conn = holder["conn"]
        with conn.cursor() as cur:
            conn.begin()
            cur.execute(f"INSERT INTO {p} (id, name) VALUES (10, 'ten')")
            try:
                cur.execute(f"INSERT INTO {p} (id, name) VALUES (1, 'dup')")
                raise AssertionError("no error for a duplicate key")
            except pymysql.err.IntegrityError:
                pass
            # MySQL keeps the transaction (only the statement failed): commit keeps row 10.
            cur.execute(f"INSERT INTO {p} (id, name) VALUES (11, 'eleven')")
            conn.commit()
            cur.execute(f"SELECT id FROM {p} WHERE id IN (10, 11) ORDER BY id")
            h.expect_equal("rows of the transaction", cur.fetchall(), ((10,), (11,)))
            cur.execute(f"DROP TABLE {ch}")
            cur.execute(f"DROP TABLE {p}")
        conn.close()
        return "1062 inside a transaction fails only that statement (MySQL semantics); commit keeps the rest"

    c.run("PyMySQL error inside a transaction: statement-level rollback", in_transaction)


if __name__ == "__main__":
    raise SystemExit(main())
