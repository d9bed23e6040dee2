"""The writer lock as clients see it: readers are never blocked by an open write transaction
(WAL), a second writer waits for the first and then succeeds, a writer that waits longer than
busy_timeout_ms gets 55P03 / 1205 (database `short`, busy_timeout_ms = 500) with the session
still usable, and a client that vanishes inside a write transaction (socket shut, no
Terminate/COM_QUIT) does not keep the lock: its row is rolled back and others write at once."""

import os
import socket
import threading
import time

import harness as h

SHORT = "short"


def pg(**kw):
    return h.pg_connect(autocommit=True, **kw)


def my(**kw):
    return h.mysql_connect(autocommit=True, **kw)


def my_exec(conn, sql, params=None):
    with conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def pg_exec(conn, sql, params=None):
    cur = conn.execute(sql, params)
    return cur.fetchall() if cur.description else []


def main():
    c = h.Checks("locks")

    def readers_not_blocked():
        t = h.unique("lkread")
        w = pg()
        try:
            w.execute(f"CREATE TABLE {t} (id INTEGER PRIMARY KEY)")
            w.execute("BEGIN")
            w.execute(f"INSERT INTO {t} VALUES (1)")
            slow = []
            for kind in ("pg", "pg", "mysql", "mysql"):
                conn = pg() if kind == "pg" else my()
                started = time.monotonic()
                rows = pg_exec(conn, f"SELECT count(*) FROM {t}") if kind == "pg" else my_exec(conn, f"SELECT count(*) FROM {t}")
                took = time.monotonic() - started
                conn.close()
                h.expect_equal(f"{kind} reader's count during the open write transaction", rows[0][0], 0)
                if took > 1.0:
                    slow.append(f"{kind} {took:.2f}s")
            w.execute("COMMIT")
            h.expect_equal("after COMMIT", pg_exec(w, f"SELECT count(*) FROM {t}")[0][0], 1)
            w.execute(f"DROP TABLE {t}")
            if slow:
                raise AssertionError(f"readers waited for the writer: {slow}")
        finally:
            w.close()
        return "4 readers (2 PG, 2 MySQL) answered at once and saw no uncommitted row"

    c.run("readers are not blocked by an open write transaction", readers_not_blocked)

    def writer_waits():
        t = h.unique("lkwait")
        a = pg()
        a.execute(f"CREATE TABLE {t} (id INTEGER PRIMARY KEY)")
        a.execute("BEGIN")
        a.execute(f"INSERT INTO {t} VALUES (1)")
        result = {}

        def second():
            b = my()
            started = time.monotonic()
            try:
                my_exec(b, f"INSERT INTO {t} VALUES (2)")
                result["took"] = time.monotonic() - started
            except Exception as e:  # noqa: BLE001
                result["error"] = h.describe(e)
            finally:
                b.close()

        th = threading.Thread(target=second, daemon=True)
        th.start()
        time.sleep(1.5)
        waited = th.is_alive()
        a.execute("COMMIT")
        th.join(10)
        rows = pg_exec(a, f"SELECT id FROM {t} ORDER BY id")
        a.execute(f"DROP TABLE {t}")
        a.close()
        if "error" in result:
            raise AssertionError(f"the waiting MySQL writer got an error: {result['error']}")
        if not waited:
            raise AssertionError(f"the second writer did not wait for the open transaction (took {result.get('took')})")
        h.expect_equal("rows", rows, [(1,), (2,)])
        return f"MySQL INSERT waited {result['took']:.2f}s for the PG transaction, then succeeded"

    c.run("a second writer waits for the open write transaction, then succeeds", writer_waits)

    def timeout_errors():
        t = h.unique("lktmo")
        a = pg(dbname=SHORT)
        a.execute(f"CREATE TABLE {t} (id INTEGER PRIMARY KEY)")
        a.execute("BEGIN")
        a.execute(f"INSERT INTO {t} VALUES (1)")
        seen = []
        try:
            b = pg(dbname=SHORT)
            started = time.monotonic()
            try:
                b.execute(f"INSERT INTO {t} VALUES (2)")
                raise AssertionError("a PG writer did not time out behind an open write transaction (busy_timeout_ms = 500)")
            except Exception as e:  # noqa: BLE001
                if getattr(e, "sqlstate", None) != "55P03":
                    raise AssertionError(f"PG writer: {h.describe(e)}, want SQLSTATE 55P03") from None
                seen.append(f"PG 55P03 after {time.monotonic() - started:.2f}s")
            h.expect_equal("PG session after 55P03", pg_exec(b, "SELECT 1"), [(1,)])
            m = my(database=SHORT)
            started = time.monotonic()
            try:
                my_exec(m, f"INSERT INTO {t} VALUES (3)")
                raise AssertionError("a MySQL writer did not time out behind an open write transaction")
            except Exception as e:  # noqa: BLE001
                if not (getattr(e, "args", None) and e.args[0] == 1205):
                    raise AssertionError(f"MySQL writer: {h.describe(e)}, want 1205") from None
                seen.append(f"MySQL 1205 after {time.monotonic() - started:.2f}s")
            h.expect_equal("MySQL session after 1205", my_exec(m, "SELECT 1"), ((1,),))
            a.execute("COMMIT")
            b.execute(f"INSERT INTO {t} VALUES (2)")
            my_exec(m, f"INSERT INTO {t} VALUES (3)")
            h.expect_equal("rows", pg_exec(a, f"SELECT id FROM {t} ORDER BY id"), [(1,), (2,), (3,)])
            a.execute(f"DROP TABLE {t}")
            b.close()
            m.close()
        finally:
            a.close()
        return "; ".join(seen) + "; both sessions wrote after the lock was free"

    c.run("a writer waiting longer than busy_timeout_ms gets 55P03 / 1205, session usable", timeout_errors)

    for vanisher in ("PG", "MySQL"):
        def vanish(vanisher=vanisher):
            t = h.unique("lkgone")
            setup = pg()
            setup.execute(f"CREATE TABLE {t} (id INTEGER PRIMARY KEY)")
            if vanisher == "PG":
                a = pg()
                a.execute("BEGIN")
                a.execute(f"INSERT INTO {t} VALUES (1)")
                s = socket.socket(fileno=os.dup(a.fileno()))
            else:
                a = my()
                a.begin()
                my_exec(a, f"INSERT INTO {t} VALUES (1)")
                s = a._sock
            s.shutdown(socket.SHUT_RDWR)
            s.close()
            other = my() if vanisher == "PG" else pg()
            started = time.monotonic()
            if vanisher == "PG":
                my_exec(other, f"INSERT INTO {t} VALUES (2)")
            else:
                other.execute(f"INSERT INTO {t} VALUES (2)")
            took = time.monotonic() - started
            rows = pg_exec(setup, f"SELECT id FROM {t} ORDER BY id")
            setup.execute(f"DROP TABLE {t}")
            setup.close()
            other.close()
            h.expect_equal("rows (the vanished client's row rolled back)", rows, [(2,)])
            if took > 2.0:
                raise AssertionError(f"the next writer waited {took:.2f}s for the vanished client's lock")
            return f"next writer got the lock after {took:.2f}s"

        c.run(f"a {vanisher} client that vanishes inside a write transaction releases the lock", vanish)
    return c.finish()


if __name__ == "__main__":
    raise SystemExit(main())
