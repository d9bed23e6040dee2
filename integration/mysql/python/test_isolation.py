"""Session-state isolation (PyMySQL, text protocol): several clients each set their own user
variable, time zone, current database, temporary table, session variable and open transaction;
in random interleavings (fixed seeds) every client must see exactly its own state and never another
client's — as a proxy in transaction (multiplexing) mode must guarantee even when the clients share
backend connections. Clients also disconnect and fresh ones must start clean."""
import random

import pymysql
import pytest

import drivers

DRV = drivers.DRIVERS["pymysql"]
CLIENTS = 6
STEPS = 300
ZONES = ["+05:00", "-03:30", "+09:45", "+00:00", "-11:00", "+13:00"]


def one(conn, sql, args=None):
    with conn.cursor() as cur:
        cur.execute(sql, args)
        return cur.fetchone() if cur.description else None


class Client:
    def __init__(self, cfg, idx, rng):
        self.cfg, self.idx, self.rng = cfg, idx, rng
        self.conn = DRV.connect(cfg, autocommit=True)
        self.state = None  # None = fresh session

    def fresh_checks(self):
        """A new or untouched session shows none of anybody's state."""
        x, tz, db, sm = one(self.conn, "SELECT @x, @@session.time_zone, DATABASE(), @@session.sql_mode")
        assert x is None, f"client {self.idx}: fresh session sees @x={x!r}"
        gtz, gsm = one(self.conn, "SELECT @@global.time_zone, @@global.sql_mode")
        assert tz == gtz, f"client {self.idx}: fresh session has time_zone {tz!r} (global {gtz!r})"
        assert sm == gsm, f"client {self.idx}: fresh session has sql_mode {sm!r} (global {gsm!r})"
        assert db == self.cfg.database, f"client {self.idx}: fresh session is in database {db!r}"
        with pytest.raises(pymysql.err.ProgrammingError) as ei:
            one(self.conn, "SELECT v FROM it_iso_tmp")
        assert ei.value.args[0] == 1146, f"client {self.idx}: a temporary table is visible: {ei.value}"

    def set_state(self, token):
        zone = self.rng.choice(ZONES)
        db = self.rng.choice([self.cfg.database, self.cfg.other_database])
        c = self.conn
        one(c, "SET @x = %s", (token,))
        one(c, "SET time_zone = %s", (zone,))
        one(c, "SET SESSION sql_mode = 'ANSI_QUOTES'")
        one(c, f"USE `{db}`")
        one(c, "CREATE TEMPORARY TABLE it_iso_tmp (v VARCHAR(40))")
        one(c, "INSERT INTO it_iso_tmp VALUES (%s)", (token,))
        self.state = (token, zone, db)

    def check_own(self):
        if self.state is None:
            return self.fresh_checks()
        token, zone, db = self.state
        got = one(self.conn, "SELECT @x, @@session.time_zone, DATABASE(), @@session.sql_mode, "
                             "(SELECT GROUP_CONCAT(v) FROM it_iso_tmp)")
        assert got == (token, zone, db, "ANSI_QUOTES", token), \
            f"client {self.idx}: expected own state {(token, zone, db, 'ANSI_QUOTES', token)}, got {got}"

    def tx_step(self):
        """An open transaction that spans other clients' steps: BEGIN, then later ROLLBACK."""
        one(self.conn, "BEGIN")
        one(self.conn, "SELECT @x")
        self.check_own()
        one(self.conn, "ROLLBACK")

    def reconnect(self):
        self.conn.close()
        self.conn = DRV.connect(self.cfg, autocommit=True)
        self.state = None

    def close(self):
        try:
            self.conn.close()
        except Exception:
            pass


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_session_state_isolation(config, seed):
    rng = random.Random(seed)
    clients = [Client(config, i, random.Random(seed * 100 + i)) for i in range(CLIENTS)]
    try:
        for c in clients:
            c.fresh_checks()
        for step in range(STEPS):
            c = rng.choice(clients)
            op = rng.random()
            if op < 0.25 and c.state is None:
                c.set_state(f"s{seed}-c{c.idx}-{step}")
            elif op < 0.35:
                c.reconnect()
                c.fresh_checks()
            elif op < 0.45:
                c.tx_step()
            else:
                c.check_own()
        for c in clients:
            c.check_own()
    finally:
        for c in clients:
            c.close()


def test_state_gone_after_disconnect(config):
    """Client A sets everything and disconnects; 20 new clients in a row start clean."""
    a = Client(config, 0, random.Random(7))
    a.set_state("gone")
    a.check_own()
    a.close()
    for i in range(20):
        b = Client(config, i + 1, random.Random(i))
        try:
            b.fresh_checks()
        finally:
            b.close()
