"""Concurrency: 32 clients at once (12 psycopg, 4 asyncpg, 16 PyMySQL; one thread each) write
and read the same SQLite database through the proxy for SQLITE_IT_CONC_SECONDS (10) seconds.

Each client loops over: a write transaction (3 INSERTs + an UPDATE of a shared counter),
an autocommit INSERT, a transaction rolled back, a read of its own rows (read-your-writes),
and a read-then-write transaction (SELECT, then UPDATE n = n + 1 of a second counter;
serialization failures 40001/1213 are retried as PostgreSQL/MySQL applications do). Afterwards: no error
reached any client (in particular no "database is locked" / busy / lock timeout), every
committed row is there, no rolled back row is, both counters equal the committed increments
(no lost update), and every client made progress. Writes SQLITE_IT_WORK/conc.json for
file_suite.py."""

import asyncio
import json
import os
import random
import threading
import time
from collections import Counter

import harness as h

SECONDS = float(os.environ.get("SQLITE_IT_CONC_SECONDS", "10"))
ROWS = "it_conc_rows"
COUNTER = "it_conc_counter"
MIX = ["psycopg"] * 12 + ["asyncpg"] * 4 + ["pymysql"] * 16


def classify(e):
    """(code, text, kind): kind is 'serialization', 'lock' or 'other'."""
    code = getattr(e, "sqlstate", None)
    if code is None and getattr(e, "args", None) and isinstance(e.args[0], int):
        code = e.args[0]
    text = h.describe(e)
    low = text.lower()
    if code in ("40001", 1213):
        kind = "serialization"
    elif code in ("55P03", "40P01", 1205) or any(w in low for w in ("locked", "busy", "lock wait", "lock timeout")):
        kind = "lock"
    else:
        kind = "other"
    return code, text, kind


class Client:
    """One connection with a uniform synchronous interface; SQL uses ? placeholders."""

    def __init__(self, kind):
        self.kind = kind
        self.connect()

    def connect(self):
        if self.kind == "psycopg":
            self.conn = h.pg_connect(autocommit=True)
        elif self.kind == "pymysql":
            self.conn = h.mysql_connect(autocommit=True)
        else:
            import asyncpg

            self.loop = asyncio.new_event_loop()
            self.conn = self.loop.run_until_complete(asyncpg.connect(**h.asyncpg_kwargs()))

    def _sql(self, sql):
        if self.kind == "asyncpg":
            parts = sql.split("?")
            return "".join(p + (f"${i + 1}" if i < len(parts) - 1 else "") for i, p in enumerate(parts))
        return sql.replace("?", "%s")

    def run(self, sql, params=()):
        sql = self._sql(sql)
        if self.kind == "psycopg":
            self.conn.execute(sql, params or None)
        elif self.kind == "pymysql":
            with self.conn.cursor() as cur:
                cur.execute(sql, params or None)
        else:
            self.loop.run_until_complete(asyncio.wait_for(self.conn.execute(sql, *params), 30))

    def one(self, sql, params=()):
        sql = self._sql(sql)
        if self.kind == "psycopg":
            return self.conn.execute(sql, params or None).fetchone()
        if self.kind == "pymysql":
            with self.conn.cursor() as cur:
                cur.execute(sql, params or None)
                return cur.fetchone()
        r = self.loop.run_until_complete(asyncio.wait_for(self.conn.fetchrow(sql, *params), 30))
        return tuple(r) if r is not None else None

    def close(self):
        try:
            if self.kind == "asyncpg":
                self.loop.run_until_complete(self.conn.close())
                self.loop.close()
            else:
                self.conn.close()
        except Exception:  # noqa: BLE001 - closing a broken connection
            pass


class Worker(threading.Thread):
    def __init__(self, num, kind, deadline):
        super().__init__(daemon=True, name=f"client{num}")
        self.num, self.kind, self.deadline = num, kind, deadline
        self.seq = 0
        self.committed, self.uncertain, self.rolled_back = set(), set(), set()
        self.increments = 0
        self.rtw_commits = 0
        self.rtw_retries = 0
        self.rtw_uncertain = 0
        self.errors = []  # (kind, text)
        self.ryw_mismatch = []
        self.ops = Counter()

    def next_id(self):
        self.seq += 1
        return self.num * 10_000_000 + self.seq

    def fail(self, e, what):
        code, text, kind = classify(e)
        self.errors.append((kind, f"{self.kind} {what}: {text}"))
        try:
            self.client.run("ROLLBACK")
        except Exception:  # noqa: BLE001 - the connection may be gone: reconnect
            self.client.close()
            try:
                self.client.connect()
            except Exception as e2:  # noqa: BLE001
                self.errors.append(("other", f"{self.kind} reconnect: {h.describe(e2)}"))
                return False
        return True

    def write_txn(self):
        ids = [self.next_id() for _ in range(3)]
        c = self.client
        c.run("BEGIN")
        for i in ids:
            c.run(f"INSERT INTO {ROWS} (id, client, payload) VALUES (?, ?, ?)", (i, self.num, f"w{i}-" + "x" * 64))
        c.run(f"UPDATE {COUNTER} SET n = n + 1 WHERE id = 1")
        try:
            c.run("COMMIT")
        except Exception:
            self.uncertain.update(ids)
            raise
        self.committed.update(ids)
        self.increments += 1

    def autocommit_insert(self):
        i = self.next_id()
        try:
            self.client.run(f"INSERT INTO {ROWS} (id, client, payload) VALUES (?, ?, ?)", (i, self.num, "auto"))
        except Exception:
            self.uncertain.add(i)
            raise
        self.committed.add(i)

    def rollback_txn(self):
        i = self.next_id()
        c = self.client
        c.run("BEGIN")
        c.run(f"INSERT INTO {ROWS} (id, client, payload) VALUES (?, ?, ?)", (i, self.num, "rolled back"))
        c.run("ROLLBACK")
        self.rolled_back.add(i)

    def read(self):
        got = self.client.one(f"SELECT count(*) FROM {ROWS} WHERE client = ?", (self.num,))[0]
        if got != len(self.committed) and not self.uncertain:
            self.ryw_mismatch.append(f"client {self.num} ({self.kind}) read {got} own rows, had committed {len(self.committed)}")

    def read_then_write(self):
        """SELECT, then UPDATE ... SET n = n + 1 in the same transaction: PostgreSQL's READ
        COMMITTED and MySQL's REPEATABLE READ both keep every increment (the UPDATE works on
        the latest row), so the counter must equal the commits; 40001/1213 are retried."""
        c = self.client
        for _ in range(50):
            stage = "begin"
            try:
                c.run("BEGIN")
                c.one(f"SELECT n FROM {COUNTER} WHERE id = 2")
                c.run(f"UPDATE {COUNTER} SET n = n + 1 WHERE id = 2")
                stage = "commit"
                c.run("COMMIT")
                self.rtw_commits += 1
                return
            except Exception as e:  # noqa: BLE001
                code, text, kind = classify(e)
                if kind != "serialization":
                    if stage == "commit":
                        self.rtw_uncertain += 1
                    raise
                self.rtw_retries += 1
                c.run("ROLLBACK")
        raise RuntimeError("read-then-write: 50 serialization failures in a row")

    def run(self):
        try:
            self.client = Client(self.kind)
        except Exception as e:  # noqa: BLE001
            self.errors.append(("other", f"{self.kind} connect: {h.describe(e)}"))
            return
        ops = [(self.write_txn, 35), (self.autocommit_insert, 20), (self.rollback_txn, 10),
               (self.read, 25), (self.read_then_write, 10)]
        funcs, weights = zip(*ops)
        rnd = random.Random(self.num)
        while time.monotonic() < self.deadline:
            op = rnd.choices(funcs, weights)[0]
            try:
                op()
                self.ops[op.__name__] += 1
            except Exception as e:  # noqa: BLE001
                if not self.fail(e, op.__name__):
                    return
        self.client.close()


def main():
    c = h.Checks("concurrency")
    work = os.environ.get("SQLITE_IT_WORK", ".")

    def setup():
        with h.pg_connect(autocommit=True) as conn:
            conn.execute(f"CREATE TABLE {ROWS} (id INTEGER PRIMARY KEY, client INTEGER NOT NULL, payload TEXT)")
            conn.execute(f"CREATE TABLE {COUNTER} (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)")
            conn.execute(f"INSERT INTO {COUNTER} (id, n) VALUES (1, 0), (2, 0)")

    if not c.run("tables", setup):
        return c.finish()

    deadline = time.monotonic() + SECONDS
    workers = [Worker(n, kind, deadline) for n, kind in enumerate(MIX)]
    started = time.monotonic()
    for w in workers:
        w.start()
    for w in workers:
        w.join(max(1.0, deadline - time.monotonic() + 40))
    elapsed = time.monotonic() - started
    hung = [w.name for w in workers if w.is_alive()]
    ops = sum((w.ops for w in workers), Counter())
    total_ops = sum(ops.values())
    mix = f"{MIX.count('psycopg')} psycopg + {MIX.count('asyncpg')} asyncpg + {MIX.count('pymysql')} PyMySQL"

    errors = [e for w in workers for e in w.errors]
    by_text = Counter(text for _, text in errors)
    sample = "; ".join(f"{n}x {t}" for t, n in by_text.most_common(4))
    c.check(f"{len(MIX)} clients ({mix}) for {SECONDS:.0f} s: all finished",
            not hung, f"still running after {elapsed:.0f} s: {hung[:8]}")
    if not errors:
        c.ok("no client saw an error",
             f"{total_ops} operations in {elapsed:.1f} s ({total_ops / elapsed:.0f}/s): "
             + ", ".join(f"{k} {v}" for k, v in sorted(ops.items())))
    else:
        c.fail("no client saw an error", f"{len(errors)} errors: {sample}")
    locks = [t for k, t in errors if k == "lock"]
    c.check("no 'database is locked' / busy / lock-timeout error reached a client", not locks,
            f"{len(locks)} lock errors, e.g. {locks[:2]}")
    starved = [f"client{w.num}({w.kind})" for w in workers if w.increments == 0]
    c.check("every client committed write transactions (no starvation)", not starved,
            f"no committed write transaction: {starved}")
    ryw = [m for w in workers for m in w.ryw_mismatch]
    c.check("read-your-writes: each client's reads counted all its committed rows", not ryw,
            f"{len(ryw)} mismatches, e.g. {ryw[:3]}")
    rtw_retries = sum(w.rtw_retries for w in workers)
    rtw_commits = sum(w.rtw_commits for w in workers)

    committed = set().union(*(w.committed for w in workers))
    uncertain = set().union(*(w.uncertain for w in workers))
    rolled_back = set().union(*(w.rolled_back for w in workers))
    increments = sum(w.increments for w in workers)
    result = {}

    def read_back():
        with h.pg_connect(autocommit=True) as conn:
            result["present"] = {r[0] for r in conn.execute(f"SELECT id FROM {ROWS}").fetchall()}
            result["counters"] = dict(conn.execute(f"SELECT id, n FROM {COUNTER}").fetchall())
        return f"{len(result['present'])} rows"

    if c.run("rows read back over PG", read_back):
        present = result["present"]
        missing = committed - present
        c.check("every committed row is present", not missing,
                f"{len(missing)} of {len(committed)} committed rows missing, e.g. {sorted(missing)[:5]}")
        back = rolled_back & present
        c.check("no row of a rolled back transaction is present", not back, f"{len(back)} present, e.g. {sorted(back)[:5]}")
        extra = present - committed - uncertain
        c.check("no row that no client committed", not extra, f"{len(extra)} unexpected rows, e.g. {sorted(extra)[:5]}")
        n1 = result["counters"].get(1)
        c.check(f"shared counter = committed write transactions ({increments})", n1 == increments or
                (uncertain and increments <= n1), f"counter {n1}, committed increments {increments} (lost updates?)")
        n2 = result["counters"].get(2)
        rtw_unc = sum(w.rtw_uncertain for w in workers)
        c.check(f"read-then-write counter = its committed transactions ({rtw_commits}; {rtw_retries} retried "
                f"serialization failures)", n2 is not None and rtw_commits <= n2 <= rtw_commits + rtw_unc,
                f"counter {n2}, committed {rtw_commits}")
        json.dump({"committed": sorted(committed), "uncertain": sorted(uncertain),
                   "rolled_back": sorted(rolled_back)}, open(os.path.join(work, "conc.json"), "w"))

    def mysql_counts():
        per_client = Counter()
        for w in workers:
            per_client[w.num] = len(w.committed)
        conn = h.mysql_connect(autocommit=True)
        try:
            with conn.cursor() as cur:
                cur.execute(f"SELECT client, COUNT(*) FROM {ROWS} GROUP BY client ORDER BY client")
                got = {int(k): int(v) for k, v in cur.fetchall()}
        finally:
            conn.close()
        want = {k: v for k, v in per_client.items() if v}
        if not uncertain and got != want:
            diff = {k: (got.get(k), want.get(k)) for k in set(got) | set(want) if got.get(k) != want.get(k)}
            raise AssertionError(f"per-client counts over MySQL differ (got, want): {dict(list(diff.items())[:6])}")
        return f"{sum(got.values())} rows in {len(got)} clients"

    c.run("per-client row counts read over MySQL match what each client committed", mysql_counts)
    return c.finish()


if __name__ == "__main__":
    raise SystemExit(main())
