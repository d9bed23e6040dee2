"""Large results stream through the proxy instead of sitting in its memory whole: a 100 MB
result (100,000 rows of 1,000 bytes, made by a recursive CTE) read over PG (psycopg, server-side
prepared) and over MySQL (PyMySQL unbuffered cursor), while the proxy's peak resident memory
(VmHWM of SQLITE_IT_PROXY_PID) grows by well under the result's size. Run early, while the
proxy's peak is still low, so the measure means something."""

import os

import harness as h

ROWS = 100_000
WIDTH = 1000
SQL = (
    f"WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM g WHERE x < {ROWS}) "
    f"SELECT x, substr(hex(zeroblob({WIDTH // 2})), 1, {WIDTH}) FROM g"
)
LIMIT_MB = 60


def peak_mb():
    pid = os.environ.get("SQLITE_IT_PROXY_PID")
    if not pid:
        return None
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return None


def main():
    c = h.Checks("stream")

    def over_pg():
        before = peak_mb()
        n = total = 0
        with h.pg_connect(autocommit=True) as conn:
            cur = conn.cursor()
            cur.execute(SQL)
            while batch := cur.fetchmany(5000):
                n += len(batch)
                total += sum(len(r[1]) for r in batch)
        after = peak_mb()
        h.expect_equal("rows, bytes", (n, total), (ROWS, ROWS * WIDTH))
        return check_peak(before, after)

    c.run("100 MB result over PG (psycopg) streams: proxy peak memory grows < 60 MB", over_pg, timeout=120)

    def over_mysql():
        import pymysql.cursors

        before = peak_mb()
        n = total = 0
        conn = h.mysql_connect(autocommit=True, cursorclass=pymysql.cursors.SSCursor)
        try:
            with conn.cursor() as cur:
                cur.execute(SQL)
                while batch := cur.fetchmany(5000):
                    n += len(batch)
                    total += sum(len(r[1]) for r in batch)
        finally:
            conn.close()
        after = peak_mb()
        h.expect_equal("rows, bytes", (n, total), (ROWS, ROWS * WIDTH))
        return check_peak(before, after)

    c.run("100 MB result over MySQL (PyMySQL SSCursor) streams: proxy peak memory grows < 60 MB", over_mysql, timeout=120)
    return c.finish()


def check_peak(before, after):
    if before is None or after is None:
        raise AssertionError("cannot read the proxy's VmHWM (SQLITE_IT_PROXY_PID unset?)")
    grew = after - before
    if grew > LIMIT_MB:
        raise AssertionError(f"proxy peak RSS grew {grew:.0f} MB ({before:.0f} -> {after:.0f} MB) for a 100 MB result")
    return f"{ROWS} rows, {ROWS * WIDTH // 1_000_000} MB; proxy peak RSS {before:.0f} -> {after:.0f} MB"


if __name__ == "__main__":
    raise SystemExit(main())
