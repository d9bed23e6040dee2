"""Fetches rows of varied sizes over TLS, again and again, with one Python driver.

    fetch_rows.py psycopg|asyncpg ITERATIONS

Connection from PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE; TLS is required (the run fails
if the connection is not encrypted). Each iteration fetches 20 rows of 50-9,000 bytes with a plain
SELECT and the same rows with COPY TO STDOUT, and checks every length. A stall is caught by the
caller's timeout. Prints `ok DRIVER VERSION: N iterations` at the end.
"""

import asyncio
import os
import random
import sys

ROWS = 20


def sizes_for(rnd):
    return [rnd.randint(50, 9000) for _ in range(ROWS)]


def select_sql(sizes):
    arr = ",".join(map(str, sizes))
    return f"SELECT repeat('x', n) FROM unnest(ARRAY[{arr}]) WITH ORDINALITY AS t(n, i) ORDER BY i"


def run_psycopg(iterations):
    import psycopg

    conn = psycopg.connect(sslmode="require", autocommit=True, connect_timeout=10)
    if not conn.pgconn.ssl_in_use:
        sys.exit("psycopg: the connection is not encrypted")
    rnd = random.Random(1)
    with conn:
        for i in range(iterations):
            sizes = sizes_for(rnd)
            rows = conn.execute(select_sql(sizes)).fetchall()
            got = [len(r[0]) for r in rows]
            if got != sizes:
                sys.exit(f"psycopg: iteration {i}: SELECT gave lengths {got}, expected {sizes}")
            with conn.cursor().copy(f"COPY ({select_sql(sizes)}) TO STDOUT") as copy:
                got = [len(r[0]) for r in copy.rows()]
            if got != sizes:
                sys.exit(f"psycopg: iteration {i}: COPY gave lengths {got}, expected {sizes}")
    print(f"ok psycopg {psycopg.__version__} (libpq {psycopg.pq.version()}): {iterations} iterations")


async def run_asyncpg(iterations):
    import asyncpg

    conn = await asyncpg.connect(ssl="require", timeout=10)
    rnd = random.Random(1)
    try:
        for i in range(iterations):
            sizes = sizes_for(rnd)
            rows = await conn.fetch(select_sql(sizes))
            got = [len(r[0]) for r in rows]
            if got != sizes:
                sys.exit(f"asyncpg: iteration {i}: SELECT gave lengths {got}, expected {sizes}")
            chunks = []

            async def sink(data):
                chunks.append(data)

            await conn.copy_from_query(select_sql(sizes), output=sink)
            got = [len(line) for line in b"".join(chunks).split(b"\n")[:-1]]
            if got != sizes:
                sys.exit(f"asyncpg: iteration {i}: COPY gave lengths {got}, expected {sizes}")
    finally:
        await conn.close()
    print(f"ok asyncpg {asyncpg.__version__}: {iterations} iterations")


def main():
    driver, iterations = sys.argv[1], int(sys.argv[2])
    if not os.environ.get("PGHOST"):
        sys.exit("PGHOST etc. must be set")
    if driver == "psycopg":
        run_psycopg(iterations)
    elif driver == "asyncpg":
        asyncio.run(run_asyncpg(iterations))
    else:
        sys.exit(f"unknown driver {driver}")


if __name__ == "__main__":
    main()
