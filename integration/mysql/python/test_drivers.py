"""Driver cases, each run on PyMySQL, mysqlclient and mysql-connector-python (binary protocol)."""
import datetime as dt
import decimal
import hashlib
import os
import threading
import time

import pytest

D = decimal.Decimal


def q(drv, conn, sql, params=None):
    cur = drv.cursor(conn)
    cur.execute(sql, params) if params is not None else cur.execute(sql)
    rows = cur.fetchall() if cur.description else None
    cur.close()
    return rows


def plain(conn, sql):
    """A plain text-protocol statement (DDL etc.) on any driver."""
    cur = conn.cursor()
    cur.execute(sql)
    rows = cur.fetchall() if cur.description else None
    cur.close()
    return rows


def test_transactions_commit_rollback(drv, conn, table):
    plain(conn, f"CREATE TABLE `{table}` (id INT PRIMARY KEY, v VARCHAR(20)) ENGINE=InnoDB")
    conn.commit()
    q(drv, conn, f"INSERT INTO `{table}` VALUES (%s, %s)", (1, "kept"))
    conn.commit()
    q(drv, conn, f"INSERT INTO `{table}` VALUES (%s, %s)", (2, "rolled back"))
    assert q(drv, conn, f"SELECT COUNT(*) FROM `{table}`")[0][0] == 2  # own tx sees it
    conn.rollback()
    assert [tuple(r) for r in q(drv, conn, f"SELECT id, v FROM `{table}` ORDER BY id")] == [(1, "kept")]
    # explicit START TRANSACTION / COMMIT as SQL text
    plain(conn, "START TRANSACTION")
    q(drv, conn, f"INSERT INTO `{table}` VALUES (%s, %s)", (3, "sql tx"))
    plain(conn, "COMMIT")
    assert q(drv, conn, f"SELECT COUNT(*) FROM `{table}`")[0][0] == 2


def test_prepared_reused_across_transactions(drv, conn, table):
    """The same statements executed again and again, over 50 transactions (commit and rollback
    alternating) and in autocommit; with `connector` these are server-side prepared statements."""
    plain(conn, f"CREATE TABLE `{table}` (id INT PRIMARY KEY, v BIGINT, s VARCHAR(40)) ENGINE=InnoDB")
    conn.commit()
    ins = f"INSERT INTO `{table}` (id, v, s) VALUES (%s, %s, %s)"
    sel = f"SELECT v, s FROM `{table}` WHERE id = %s"
    cur = drv.cursor(conn)  # one cursor: connector keeps its prepared statement per cursor
    for i in range(50):
        cur.execute(ins, (i, i * 1000, f"row {i}"))
        cur.execute(sel, (i,))
        assert tuple(cur.fetchall()[0]) == (i * 1000, f"row {i}")
        if i % 2 == 0:
            conn.commit()
        else:
            conn.rollback()
    drv.set_autocommit(conn, True)
    for i in range(100, 110):
        cur.execute(ins, (i, -i, None))
    cur.execute(f"SELECT COUNT(*), SUM(v IS NULL), SUM(s IS NULL) FROM `{table}`")
    assert [int(x) for x in cur.fetchall()[0]] == [35, 0, 10]
    cur.close()


def test_multi_statements(drv, conn):
    cur = conn.cursor()
    cur.execute("SELECT 1 AS a; SELECT 'two' AS b, NULL AS c; DO 0; SELECT 3")
    sets = [cur.fetchall()]
    while cur.nextset():
        sets.append(cur.fetchall() if cur.description else None)
    cur.close()
    norm = [None if s is None else [tuple(r) for r in s] for s in sets]
    assert norm[0] == [(1,)]
    assert norm[1] == [("two", None)]
    assert norm[-1] == [(3,)]
    assert q(drv, conn, "SELECT 42")[0][0] == 42  # connection still usable


def test_multi_statements_error_in_second(drv, conn):
    cur = conn.cursor()
    with pytest.raises(Exception) as ei:
        cur.execute("SELECT 1; SELECT * FROM it_no_such_table_xyz; SELECT 3")
        while True:
            if cur.description:
                cur.fetchall()
            if not cur.nextset():
                break
    assert drv.errcode(ei.value) == 1146
    try:
        cur.close()
    except Exception:
        pass
    assert q(drv, conn, "SELECT 7")[0][0] == 7


def test_large_result(drv, conn):
    n = 100_000  # 10^5 rows of ~200 bytes (~21 MB) from a cross join: no recursion limits involved
    digits = "(SELECT 0 d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 " \
             "UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9)"
    rows = q(drv, conn, f"SELECT 1 + a.d + 10 * b.d + 100 * c.d + 1000 * e.d + 10000 * f.d AS n, REPEAT('x', 200) "
                        f"FROM {digits} a, {digits} b, {digits} c, {digits} e, {digits} f")
    assert len(rows) == n
    assert sum(r[0] for r in rows) == n * (n + 1) // 2
    assert all(len(r[1]) == 200 for r in rows[:10])


def test_blob_over_16mib(drv, conn, table):
    mp = int(q(drv, conn, "SELECT @@max_allowed_packet")[0][0])
    assert mp >= 64 * 1024 * 1024, (
        f"server max_allowed_packet={mp} < 64M: run SET GLOBAL max_allowed_packet=67108864 "
        "(or max_allowed_packet=64M in the server config) and reconnect")
    plain(conn, f"CREATE TABLE `{table}` (id INT PRIMARY KEY, b LONGBLOB) ENGINE=InnoDB")
    blob = os.urandom(20 * 1024 * 1024 + 7)  # > 16 MiB: split packets both ways
    q(drv, conn, f"INSERT INTO `{table}` VALUES (%s, %s)", (1, blob))
    conn.commit()
    (length, sha), = q(drv, conn, f"SELECT LENGTH(b), SHA2(b, 256) FROM `{table}` WHERE id = %s", (1,))
    assert int(length) == len(blob)
    assert sha == hashlib.sha256(blob).hexdigest()
    if drv.big_binary_rows_ok:
        (back,), = q(drv, conn, f"SELECT b FROM `{table}` WHERE id = %s", (1,))
    else:  # see drivers.Connector: read the >16 MiB row over the text protocol instead
        (back,), = plain(conn, f"SELECT b FROM `{table}` WHERE id = 1")
    assert bytes(back) == blob


def test_nulls(drv, conn, table):
    plain(conn, f"CREATE TABLE `{table}` (id INT PRIMARY KEY, i INT, s VARCHAR(10), d DATETIME(6), "
                f"n DECIMAL(30,10), b BLOB, j JSON)")
    q(drv, conn, f"INSERT INTO `{table}` VALUES (%s, %s, %s, %s, %s, %s, %s)", (1, None, None, None, None, None, None))
    q(drv, conn, f"INSERT INTO `{table}` VALUES (%s, %s, %s, %s, %s, %s, %s)", (2, 0, "", None, D("0"), b"", "null"))
    conn.commit()
    rows = [tuple(r) for r in q(drv, conn, f"SELECT i, s, d, n, b, j FROM `{table}` ORDER BY id")]
    assert rows[0] == (None,) * 6
    assert rows[1][0] == 0 and rows[1][1] == "" and rows[1][2] is None
    assert rows[1][3] == D("0") and bytes(rows[1][4]) == b""
    assert q(drv, conn, "SELECT NULL, %s IS NULL", (None,))[0][0] is None


TEMPORAL_SQL = [
    # date, datetime(6), timestamp(6), time(6), year, decimal(30,10)
    ("2024-02-29", "2024-02-29 23:59:59.999999", "2038-01-19 03:14:07.999999", "-838:59:59.000000",
     "1901", "-12345678901234567890.0123456789"),
    ("1000-01-01", "1000-01-01 00:00:00.000001", "1970-01-01 00:00:01.000001", "-00:00:01.500000",
     "2155", "0.0000000001"),
    ("9999-12-31", "9999-12-31 23:59:59.000000", "2024-06-30 12:00:00.000000", "838:59:59.000000",
     "2024", "99999999999999999999.9999999999"),
    ("2000-01-01", "2000-01-01 00:00:00.000000", "2000-01-01 00:00:00.123456", "12:34:56.789012",
     "1970", "-0.5000000000"),
]


def td(s):
    neg = s.startswith("-")
    h, m, rest = s.lstrip("-").split(":")
    sec, us = rest.split(".")
    t = dt.timedelta(hours=int(h), minutes=int(m), seconds=int(sec), microseconds=int(us))
    return -t if neg else t


def expected(row):
    d, dtm, ts, tm, y, n = row
    return (dt.date.fromisoformat(d), dt.datetime.fromisoformat(dtm), dt.datetime.fromisoformat(ts),
            td(tm), int(y), D(n))


def test_temporal_and_decimal_roundtrip(drv, conn, table):
    plain(conn, "SET time_zone = '+00:00'")
    plain(conn, f"CREATE TABLE `{table}` (id INT PRIMARY KEY, d DATE, dtm DATETIME(6), ts TIMESTAMP(6) NULL, "
                f"tm TIME(6), y YEAR, n DECIMAL(30,10))")
    ins = f"INSERT INTO `{table}` VALUES (%s, %s, %s, %s, %s, %s, %s)"
    for i, row in enumerate(TEMPORAL_SQL):
        # as literals in SQL text ...
        plain(conn, f"INSERT INTO `{table}` VALUES ({i}, '{row[0]}', '{row[1]}', '{row[2]}', '{row[3]}', {row[4]}, {row[5]})")
        # ... and as driver parameters (binary-encoded with the connector)
        params = list(expected(row))
        if not drv.negative_time_ok and row[3].startswith("-"):
            params[3] = row[3]  # see drivers.Connector: negative TIME sent as a string
        q(drv, conn, ins, (100 + i, *params))
    conn.commit()
    ycol = "y" if drv.year_ok else "CAST(y AS UNSIGNED)"  # see drivers.Connector
    got = [tuple(r) for r in q(drv, conn, f"SELECT id, d, dtm, ts, tm, {ycol}, n FROM `{table}` ORDER BY id")]
    assert len(got) == 2 * len(TEMPORAL_SQL)
    for r in got:
        row = TEMPORAL_SQL[r[0] % 100]
        want = expected(row)
        if not drv.negative_time_ok and row[3].startswith("-"):
            r, want = r[:4] + r[5:], want[:3] + want[4:]  # checked below as server text
        assert tuple(r[1:]) == want, f"id {r[0]}: {r[1:]} != {want}"
    # the server's own text for every value
    texts = q(drv, conn, f"SELECT CAST(d AS CHAR), CAST(dtm AS CHAR), CAST(ts AS CHAR), CAST(tm AS CHAR), "
                         f"CAST(y AS CHAR), CAST(n AS CHAR) FROM `{table}` WHERE id >= 100 ORDER BY id")
    assert [tuple(r) for r in texts] == TEMPORAL_SQL
    # parameters compared on the server side
    neg = td("-00:00:01.500000") if drv.negative_time_ok else "-00:00:01.500000"
    assert q(drv, conn, f"SELECT COUNT(*) FROM `{table}` WHERE tm = %s AND n = %s",
             (neg, D("0.0000000001")))[0][0] == 2


def test_error_then_recovery(drv, conn, table):
    plain(conn, f"CREATE TABLE `{table}` (id INT PRIMARY KEY) ENGINE=InnoDB")
    q(drv, conn, f"INSERT INTO `{table}` VALUES (%s)", (1,))
    conn.commit()
    with pytest.raises(Exception) as ei:
        q(drv, conn, f"INSERT INTO `{table}` VALUES (%s)", (1,))
    assert drv.errcode(ei.value) == 1062
    assert q(drv, conn, "SELECT 1")[0][0] == 1
    with pytest.raises(Exception) as ei:
        plain(conn, "SELEC 1")
    assert drv.errcode(ei.value) == 1064
    assert q(drv, conn, "SELECT 2")[0][0] == 2
    # inside a transaction: a failed statement does not end the transaction
    q(drv, conn, f"INSERT INTO `{table}` VALUES (%s)", (2,))
    with pytest.raises(Exception) as ei:
        q(drv, conn, f"INSERT INTO `{table}` VALUES (%s)", (2,))
    assert drv.errcode(ei.value) == 1062
    q(drv, conn, f"INSERT INTO `{table}` VALUES (%s)", (3,))
    conn.commit()
    assert [r[0] for r in q(drv, conn, f"SELECT id FROM `{table}` ORDER BY id")] == [1, 2, 3]
    # and a rollback after an error
    q(drv, conn, f"INSERT INTO `{table}` VALUES (%s)", (4,))
    with pytest.raises(Exception):
        plain(conn, "SELECT * FROM")
    conn.rollback()
    assert q(drv, conn, f"SELECT COUNT(*) FROM `{table}`")[0][0] == 3


def test_kill_query(drv, conn, config):
    cid = int(q(drv, conn, "SELECT CONNECTION_ID()")[0][0])
    out = {}

    def sleeper():
        t0 = time.monotonic()
        try:
            out["rows"] = q(drv, conn, "SELECT SLEEP(10)")
        except Exception as e:  # noqa: BLE001
            out["err"] = e
        out["secs"] = time.monotonic() - t0

    th = threading.Thread(target=sleeper)
    th.start()
    time.sleep(1.0)
    killer = drv.connect(config)
    try:
        plain(killer, f"KILL QUERY {cid}")
    finally:
        killer.close()
    th.join(15)
    assert not th.is_alive()
    assert out["secs"] < 5, f"SLEEP(10) took {out['secs']:.1f}s after KILL QUERY"
    if "err" in out:
        assert drv.errcode(out["err"]) == 1317, repr(out["err"])
    else:
        assert int(out["rows"][0][0]) == 1
    assert q(drv, conn, "SELECT 3")[0][0] == 3  # the connection survives KILL QUERY


def test_tls(drv, conn, config):
    if not config.ssl:
        pytest.skip("MYSQL_SSL is not 1")
    if os.environ.get("MYSQL_VIA_PROXY") == "1":
        # Through the proxy, TLS ends at the proxy: the server's Ssl_cipher says nothing about
        # the client's link. The driver connected with TLS (and verified the CA when one is
        # given, failing otherwise); where the driver exposes its socket, check it directly.
        sock = getattr(conn, "_sock", None)
        if sock is not None and hasattr(sock, "version"):
            assert sock.version().startswith("TLS"), f"connected without TLS: {sock!r}"
        assert q(drv, conn, "SELECT 1")[0][0] == 1
        return
    (_, cipher), = q(drv, conn, "SHOW SESSION STATUS LIKE 'Ssl_cipher'")
    assert cipher, "connected without TLS"
