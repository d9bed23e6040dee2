"""The database file itself, with python's sqlite3 module (no proxy involved):

  file_suite.py create DBFILE        before the proxy starts: it_native_types, a table made the
                                     way SQLite programs make it (cross_suite.py reads it over
                                     both protocols)
  file_suite.py check DBFILE WORK    after the proxy stopped: PRAGMA integrity_check is ok, the
                                     file is in WAL mode, foreign keys hold, rows written over
                                     each protocol are stored as SQLite programs expect them
                                     (INTEGER/REAL/TEXT/BLOB storage classes, booleans 1/0, ISO
                                     dates), and the rows the concurrency and crash runs had
                                     committed are all in the file.
"""

import json
import os
import re
import sqlite3
import sys

import harness as h
import typesdata as td


def create(path):
    conn = sqlite3.connect(path)
    conn.execute(td.NATIVE_DDL.format(t="it_native_types"))
    cols = ", ".join(["id"] + td.NAMES)
    marks = ", ".join(["?"] * (len(td.NAMES) + 1))
    for k in range(td.ROWS):
        values = [td.native_value(col, v) for (col, _, _), v in zip(td.COLUMNS, td.row(k))]
        conn.execute(f"INSERT INTO it_native_types ({cols}) VALUES ({marks})", [k + 1] + values)
    conn.execute("INSERT INTO it_native_types (id) VALUES (?)", (td.NULL_ID,))
    conn.commit()
    conn.close()


def load(work, name, what):
    path = os.path.join(work, name)
    if not os.path.exists(path):
        raise AssertionError(f"{what} recorded nothing ({name} missing: it did not get that far)")
    return json.load(open(path))


STORAGE = {"i": "integer", "big": "integer", "f": "real", "dp": "real", "s": "text", "b": "blob",
           "flag": "integer", "d": "text", "ts": "text"}


def check(path, work):
    c = h.Checks("file")
    state = {}

    def open_file():
        conn = sqlite3.connect(path, check_same_thread=False)
        state["conn"] = conn
        return f"sqlite3 module, SQLite {sqlite3.sqlite_version}"

    if not c.run("python's sqlite3 opens the proxy's database file", open_file):
        return c.finish()
    conn = state["conn"]

    def integrity():
        got = conn.execute("PRAGMA integrity_check").fetchall()
        h.expect_equal("integrity_check", got, [("ok",)])
        return "ok"

    c.run("PRAGMA integrity_check", integrity)

    def wal():
        mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
        h.expect_equal("journal_mode", mode, "wal")
        return mode

    c.run("the file is in WAL mode", wal)

    def fk():
        bad = conn.execute("PRAGMA foreign_key_check").fetchall()
        h.expect_equal("foreign_key_check", bad, [])

    c.run("PRAGMA foreign_key_check finds nothing", fk)

    for table, via in (("it_keep_pg", "PG"), ("it_keep_mysql", "MySQL")):
        def storage(table=table):
            problems = []
            cols = ", ".join(f"typeof({c}), {c}" for c in td.NAMES)
            rows = conn.execute(f"SELECT {cols} FROM {table} WHERE id <= {td.ROWS} ORDER BY id").fetchall()
            h.expect_equal("rows", len(rows), td.ROWS)
            for r in rows:
                for idx, col in enumerate(td.NAMES):
                    kind, value = r[2 * idx], r[2 * idx + 1]
                    want = STORAGE.get(col)
                    if col == "n":
                        ok = kind in ("integer", "real")
                    else:
                        ok = kind == want
                    if col == "flag" and ok:
                        ok = value in (0, 1)
                    if col == "d" and ok:
                        ok = re.fullmatch(r"\d{4}-\d\d-\d\d", value) is not None
                    if col == "ts" and ok:
                        ok = re.fullmatch(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(\.\d{1,6})?", value) is not None
                    if not ok:
                        problems.append(f"{col}: stored {kind} {value!r:.40}")
            nulls = conn.execute(f"SELECT {', '.join(f'typeof({c})' for c in td.NAMES)} FROM {table} WHERE id = {td.NULL_ID}").fetchone()
            if nulls is None or set(nulls) != {"null"}:
                problems.append(f"NULL row stored as {nulls}")
            if problems:
                raise AssertionError("; ".join(sorted(set(problems))[:8]))
            return "integers, reals, text, blobs, booleans 1/0, ISO dates and timestamps, NULLs"

        c.run(f"rows written over {via} are stored as SQLite programs expect", storage)

    def crash_rows():
        data = load(work, "crash.json", "the crash run")
        acked = set(data["acked"])
        have = {t for (t,) in conn.execute("SELECT txn FROM it_crash_rows GROUP BY txn HAVING count(*) = 2")}
        missing = acked - have
        if missing:
            raise AssertionError(f"{len(missing)} acknowledged transactions not in the file, e.g. {sorted(missing)[:5]}")
        return f"{len(acked)} acknowledged transactions in the file"

    c.run("the crash run's acknowledged transactions are in the file", crash_rows)

    def conc_rows():
        data = load(work, "conc.json", "the concurrency run")
        committed, rolled_back = set(data["committed"]), set(data["rolled_back"])
        have = {i for (i,) in conn.execute("SELECT id FROM it_conc_rows")}
        missing, back = committed - have, rolled_back & have
        if missing or back:
            raise AssertionError(f"{len(missing)} committed rows missing, {len(back)} rolled back rows present")
        return f"{len(committed)} committed rows in the file"

    c.run("the concurrency run's committed rows are in the file", conc_rows)
    conn.close()
    return c.finish()


if __name__ == "__main__":
    if sys.argv[1] == "create":
        create(sys.argv[2])
        raise SystemExit(0)
    raise SystemExit(check(sys.argv[2], sys.argv[3]))
