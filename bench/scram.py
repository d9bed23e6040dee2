#!/usr/bin/env python3
"""SCRAM-SHA-256 helpers for the benchmark harness (standard library only).

    python3 bench/scram.py verifier PASSWORD   # prints a PostgreSQL-style SCRAM verifier

The verifier format is the one PostgreSQL stores in pg_authid and PgBouncer accepts in its
userlist: SCRAM-SHA-256$<iterations>:<salt b64>$<StoredKey b64>:<ServerKey b64>.
`ScramClient` is the client side of RFC 5802/7677 as PostgreSQL uses it (no channel binding).
"""
import base64
import hashlib
import hmac
import os
import sys

_salted_cache = {}


def _hmac(key, msg):
    return hmac.new(key, msg, hashlib.sha256).digest()


def salted_password(password, salt, iterations):
    """PBKDF2 is the expensive step; cache it per (password, salt, iterations)."""
    k = (password, salt, iterations)
    v = _salted_cache.get(k)
    if v is None:
        v = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
        _salted_cache[k] = v
    return v


def verifier(password, iterations=4096, salt=None):
    salt = salt or os.urandom(16)
    sp = salted_password(password, salt, iterations)
    stored = hashlib.sha256(_hmac(sp, b"Client Key")).digest()
    server = _hmac(sp, b"Server Key")
    b64 = lambda b: base64.b64encode(b).decode()
    return f"SCRAM-SHA-256${iterations}:{b64(salt)}${b64(stored)}:{b64(server)}"


class ScramClient:
    def __init__(self, password):
        self.password = password
        self.nonce = base64.b64encode(os.urandom(18)).decode()
        self.client_first_bare = f"n=,r={self.nonce}"
        self.server_signature = None

    def first(self):
        return ("n,," + self.client_first_bare).encode()

    def final(self, server_first):
        sf = server_first.decode()
        attrs = dict(kv.split("=", 1) for kv in sf.split(","))
        rnonce, salt, it = attrs["r"], base64.b64decode(attrs["s"]), int(attrs["i"])
        if not rnonce.startswith(self.nonce):
            raise ValueError("server nonce does not extend client nonce")
        sp = salted_password(self.password, salt, it)
        client_key = _hmac(sp, b"Client Key")
        stored_key = hashlib.sha256(client_key).digest()
        without_proof = f"c=biws,r={rnonce}"
        auth_msg = f"{self.client_first_bare},{sf},{without_proof}".encode()
        sig = _hmac(stored_key, auth_msg)
        proof = bytes(a ^ b for a, b in zip(client_key, sig))
        self.server_signature = _hmac(_hmac(sp, b"Server Key"), auth_msg)
        return f"{without_proof},p={base64.b64encode(proof).decode()}".encode()

    def verify(self, server_final):
        attrs = dict(kv.split("=", 1) for kv in server_final.decode().split(","))
        if "e" in attrs:
            raise ValueError(f"SCRAM error from server: {attrs['e']}")
        if base64.b64decode(attrs["v"]) != self.server_signature:
            raise ValueError("server signature mismatch")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "verifier":
        print(verifier(sys.argv[2]))
    else:
        sys.exit("usage: scram.py verifier PASSWORD")
