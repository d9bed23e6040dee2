"""WAL durability across a crash of the proxy (driven by ../sqlite-through-proxy.sh):

  crash_suite.py write OUT READY  8 writers (4 psycopg, 4 PyMySQL) commit two-row transactions
                                  as fast as they can; READY is created once every writer has
                                  committed; the script then kill -9s the proxy. Each writer
                                  stops at its first error (the connection dropped) and the
                                  acknowledged transactions go to OUT (JSON).
  crash_suite.py verify OUT       after the restart: every acknowledged transaction is present
                                  with both rows, and no transaction is there with only one.
"""

import json
import os
import sys
import threading
import time

import harness as h

TABLE = "it_crash_rows"
WRITERS = ["psycopg"] * 4 + ["pymysql"] * 4


class Writer(threading.Thread):
    def __init__(self, num, kind, deadline):
        super().__init__(daemon=True)
        self.num, self.kind, self.deadline = num, kind, deadline
        self.acked = []
        self.end = None

    def run(self):
        try:
            if self.kind == "psycopg":
                conn = h.pg_connect(autocommit=True)
                run = lambda sql, p=None: conn.execute(sql, p)  # noqa: E731
            else:
                conn = h.mysql_connect(autocommit=True)
                cur = conn.cursor()
                run = lambda sql, p=None: cur.execute(sql, p)  # noqa: E731
        except Exception as e:  # noqa: BLE001
            self.end = f"connect failed: {h.describe(e)}"
            return
        seq = 0
        while time.monotonic() < self.deadline:
            seq += 1
            txn = self.num * 1_000_000 + seq
            try:
                run("BEGIN")
                run(f"INSERT INTO {TABLE} (id, txn, part) VALUES (%s, %s, 0)", (txn * 2, txn))
                run(f"INSERT INTO {TABLE} (id, txn, part) VALUES (%s, %s, 1)", (txn * 2 + 1, txn))
                run("COMMIT")
            except Exception as e:  # noqa: BLE001 - the kill ends every writer this way
                self.end = h.describe(e)
                return
            self.acked.append(txn)
        self.end = "deadline"


def write(out, ready):
    try:
        with h.pg_connect(autocommit=True) as conn:
            conn.execute(f"CREATE TABLE {TABLE} (id INTEGER PRIMARY KEY, txn INTEGER NOT NULL, part INTEGER NOT NULL)")
    except Exception as e:  # noqa: BLE001
        open(ready, "w").close()
        c = h.Checks("crash")
        c.fail("crash table created over PG", h.describe(e))
        return c.finish()
    deadline = time.monotonic() + 30
    writers = [Writer(n, kind, deadline) for n, kind in enumerate(WRITERS)]
    for w in writers:
        w.start()
    while time.monotonic() < deadline:
        if all(len(w.acked) >= 20 for w in writers) or all(w.end for w in writers):
            break
        time.sleep(0.05)
    open(ready, "w").close()
    for w in writers:
        w.join(40)
    json.dump({"acked": sorted(t for w in writers for t in w.acked),
               "ends": [f"{w.kind}: {w.end}" for w in writers],
               "per_writer": [len(w.acked) for w in writers]}, open(out, "w"))
    c = h.Checks("crash")
    total = sum(len(w.acked) for w in writers)
    name = "8 writers (4 PG, 4 MySQL) were committing when the proxy was killed"
    if all(w.acked for w in writers) and all(w.end and w.end != "deadline" and "connect failed" not in w.end
                                             for w in writers):
        c.ok(name, f"{total} transactions acknowledged before kill -9; first end: {writers[0].end[:80]}")
    else:
        c.fail(name, f"acknowledged per writer {[len(w.acked) for w in writers]}; ends {[w.end for w in writers][:4]}")
    return c.finish()


def verify(out):
    c = h.Checks("crash")
    if not os.path.exists(out):
        c.fail("acknowledged transactions recorded", "the write phase recorded nothing")
        return c.finish()
    data = json.load(open(out))
    acked = set(data["acked"])
    found = {}

    def read():
        with h.pg_connect(autocommit=True) as conn:
            for txn, n in conn.execute(f"SELECT txn, count(*) FROM {TABLE} GROUP BY txn").fetchall():
                found[txn] = n
        return f"{len(found)} transactions in the table, {len(acked)} acknowledged before the kill"

    if c.run("proxy restarted on the same file: table readable over PG", read):
        missing = acked - set(found)
        c.check("every transaction whose COMMIT was acknowledged survived kill -9", not missing,
                f"{len(missing)} of {len(acked)} acknowledged transactions lost, e.g. {sorted(missing)[:5]}")
        torn = {t: n for t, n in found.items() if n != 2}
        c.check("no torn transaction (one row of two)", not torn, f"{len(torn)} torn: {list(torn.items())[:5]}")

    def mysql_sees_them():
        conn = h.mysql_connect(autocommit=True)
        try:
            with conn.cursor() as cur:
                cur.execute(f"SELECT COUNT(*) FROM {TABLE}")
                n = cur.fetchone()[0]
        finally:
            conn.close()
        h.expect_equal("rows over MySQL", n, sum(found.values()))
        return f"{n} rows"

    c.run("the same rows over MySQL after the restart", mysql_sees_them)

    def write_after():
        with h.pg_connect(autocommit=True) as conn:
            conn.execute(f"INSERT INTO {TABLE} (id, txn, part) VALUES (%s, %s, 0), (%s, %s, 1)", (-2, -1, -1, -1))
            h.expect_equal("new rows", conn.execute(f"SELECT count(*) FROM {TABLE} WHERE txn = -1").fetchone(), (2,))
        return "database writable after recovery"

    c.run("writes work after the restart", write_after)
    return c.finish()


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "write":
        raise SystemExit(write(sys.argv[2], sys.argv[3]))
    raise SystemExit(verify(sys.argv[2]))
