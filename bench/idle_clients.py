#!/usr/bin/env python3
"""Open N idle, authenticated PostgreSQL connections to a target and report its memory.

    IDLE_CLIENTS=10000 PGPASSWORD=bench-secret python3 bench/idle_clients.py --port 16432
    bench/idle_clients.py --port 16433 --pid $(bench/articdbm.sh pid 16433)

Each client does the real startup handshake (StartupMessage, then trust / cleartext / md5 /
SCRAM-SHA-256 authentication, until ReadyForQuery) with raw asyncio sockets (standard library
only, SCRAM in bench/scram.py) and then stays idle. The target's VmRSS (from /proc/<pid>/status)
is read before, with all clients connected, and after they close. While all are connected, one more
connection measures connect+auth time and a `SELECT 1` round trip, to show the target still serves.

Limits: every connection is a file descriptor on both sides. This script raises its own
RLIMIT_NOFILE to the hard limit (it needs N + some); the target needs the same (bench/pgbouncer.sh
and bench/articdbm.sh raise theirs with `ulimit -n`). Loopback has ~28k ephemeral ports by default
(net.ipv4.ip_local_port_range), enough for one target and N <= ~25,000.
"""
import argparse
import asyncio
import hashlib
import os
import re
import resource
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from scram import ScramClient  # noqa: E402


class PgError(Exception):
    pass


def _msg(kind, payload):
    return kind + struct.pack("!I", len(payload) + 4) + payload


async def _read_msg(reader):
    head = await reader.readexactly(5)
    kind, length = head[:1], struct.unpack("!I", head[1:])[0]
    body = await reader.readexactly(length - 4)
    return kind, body


def _error_text(body):
    fields = {}
    for part in body.split(b"\0"):
        if part:
            fields[part[:1]] = part[1:].decode(errors="replace")
    return f"{fields.get(b'S', 'ERROR')}: {fields.get(b'M', '?')} ({fields.get(b'C', '')})"


async def pg_connect(host, port, user, password, database, timeout):
    """Returns (reader, writer) after ReadyForQuery."""
    reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
    try:
        params = b"user\0" + user.encode() + b"\0database\0" + database.encode() + b"\0\0"
        payload = struct.pack("!I", 196608) + params
        writer.write(struct.pack("!I", len(payload) + 4) + payload)
        scram = None
        while True:
            kind, body = await asyncio.wait_for(_read_msg(reader), timeout)
            if kind == b"R":
                code = struct.unpack("!I", body[:4])[0]
                if code == 0:
                    pass
                elif code == 3:
                    writer.write(_msg(b"p", password.encode() + b"\0"))
                elif code == 5:
                    inner = hashlib.md5((password + user).encode()).hexdigest().encode()
                    outer = "md5" + hashlib.md5(inner + body[4:8]).hexdigest()
                    writer.write(_msg(b"p", outer.encode() + b"\0"))
                elif code == 10:
                    mechs = body[4:].split(b"\0")
                    if b"SCRAM-SHA-256" not in mechs:
                        raise PgError(f"no supported SASL mechanism in {mechs}")
                    scram = ScramClient(password)
                    first = scram.first()
                    writer.write(_msg(b"p", b"SCRAM-SHA-256\0" + struct.pack("!I", len(first)) + first))
                elif code == 11:
                    writer.write(_msg(b"p", scram.final(body[4:])))
                elif code == 12:
                    scram.verify(body[4:])
                else:
                    raise PgError(f"unsupported auth request {code}")
                await writer.drain()
            elif kind == b"E":
                raise PgError(_error_text(body))
            elif kind == b"Z":
                return reader, writer
            # S (ParameterStatus), K (BackendKeyData), N (Notice): ignore
    except BaseException:
        writer.close()
        raise


async def simple_query(reader, writer, sql):
    writer.write(_msg(b"Q", sql.encode() + b"\0"))
    await writer.drain()
    while True:
        kind, body = await _read_msg(reader)
        if kind == b"E":
            raise PgError(_error_text(body))
        if kind == b"Z":
            return


def rss_kb(pid):
    if not pid:
        return None
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except FileNotFoundError:
        return None
    return None


def fd_count(pid):
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except (FileNotFoundError, PermissionError):
        return None


def find_listener_pid(port):
    try:
        out = subprocess.run(["ss", "-Hltnp", f"sport = :{port}"], capture_output=True, text=True).stdout
    except FileNotFoundError:
        return None
    m = re.search(r"pid=(\d+)", out)
    return int(m.group(1)) if m else None


def mib(kb):
    return "n/a" if kb is None else f"{kb / 1024:.1f} MiB"


async def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--user", default=os.environ.get("BENCH_USER", "bench"))
    ap.add_argument("--password", default=os.environ.get("PGPASSWORD", os.environ.get("BENCH_PASSWORD", "bench-secret")))
    ap.add_argument("--db", default=os.environ.get("BENCH_DB", "articdbm_bench"))
    ap.add_argument("-n", "--clients", type=int, default=int(os.environ.get("IDLE_CLIENTS", "10000")))
    ap.add_argument("--pid", type=int, help="target process for VmRSS (default: the listener of --port)")
    ap.add_argument("--concurrency", type=int, default=200, help="handshakes in flight at once")
    ap.add_argument("--hold", type=float, default=5.0, help="seconds to hold all connections idle")
    ap.add_argument("--timeout", type=float, default=30.0, help="per-handshake timeout")
    a = ap.parse_args()

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = a.clients + 256
    new_soft = want if hard == resource.RLIM_INFINITY else min(max(soft, want), hard)
    resource.setrlimit(resource.RLIMIT_NOFILE, (new_soft, hard))
    if new_soft < want:
        print(f"warning: RLIMIT_NOFILE hard limit {hard} < {want}; some connections will fail", file=sys.stderr)

    pid = a.pid or find_listener_pid(a.port)
    print(f"target 127.0.0.1:{a.port} pid={pid}; {a.clients} idle clients as {a.user}@{a.db}")
    rss0, fds0 = rss_kb(pid), fd_count(pid)
    print(f"before: VmRSS {mib(rss0)}, fds {fds0}")

    sem = asyncio.Semaphore(a.concurrency)
    conns, errors = [], {}
    t0 = time.monotonic()

    async def one():
        async with sem:
            try:
                conns.append(await pg_connect(a.host, a.port, a.user, a.password, a.db, a.timeout))
            except Exception as e:  # noqa: BLE001 - every failure is counted and reported
                key = f"{type(e).__name__}: {e}"[:160]
                errors[key] = errors.get(key, 0) + 1

    await asyncio.gather(*(one() for _ in range(a.clients)))
    elapsed = time.monotonic() - t0
    print(f"connected {len(conns)}/{a.clients} in {elapsed:.1f}s ({len(conns) / elapsed:.0f}/s)")
    for k, v in sorted(errors.items(), key=lambda kv: -kv[1])[:5]:
        print(f"  failed x{v}: {k}")

    await asyncio.sleep(min(2.0, a.hold))
    rss1, fds1 = rss_kb(pid), fd_count(pid)
    probe = ""
    try:
        tp = time.monotonic()
        r, w = await pg_connect(a.host, a.port, a.user, a.password, a.db, a.timeout)
        tq = time.monotonic()
        await simple_query(r, w, "SELECT 1")
        te = time.monotonic()
        w.close()
        probe = f"probe with {len(conns)} idle: connect+auth {1000 * (tq - tp):.1f} ms, SELECT 1 {1000 * (te - tq):.2f} ms"
    except Exception as e:  # noqa: BLE001
        probe = f"probe with {len(conns)} idle FAILED: {e}"
    await asyncio.sleep(max(0.0, a.hold - 2.0))
    alive = sum(1 for r, _ in conns if not r.at_eof())
    rss_peak = max(x for x in (rss1, rss_kb(pid)) if x is not None) if rss1 is not None else None
    per_conn = ((rss_peak - rss0) * 1024 / len(conns)) if (rss0 is not None and rss_peak is not None and conns) else None
    print(f"with clients: VmRSS {mib(rss_peak)}, fds {fds1}, still open after {a.hold:.0f}s: {alive}")
    if per_conn is not None:
        print(f"delta: {mib(rss_peak - rss0)} = {per_conn / 1024:.1f} KiB per idle client")
    print(probe)

    for _, w in conns:
        w.close()
    await asyncio.gather(*(w.wait_closed() for _, w in conns), return_exceptions=True)
    await asyncio.sleep(2.0)
    print(f"after close: VmRSS {mib(rss_kb(pid))}, fds {fd_count(pid)}")
    return 0 if not errors else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
