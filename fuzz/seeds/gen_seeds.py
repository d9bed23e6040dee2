#!/usr/bin/env python3
"""Writes the committed seed inputs under fuzz/seeds/<target>/ (a few valid messages each).

Deterministic: re-running it rewrites the same files. Input layouts are described at the top
of each fuzz target. Usage: python3 fuzz/seeds/gen_seeds.py
"""

import base64
import hashlib
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def msg(tag: bytes, body: bytes) -> bytes:
    return tag + struct.pack(">I", len(body) + 4) + body


def cstr(s: bytes) -> bytes:
    return s + b"\0"


def startup(params) -> bytes:
    body = struct.pack(">I", 196608)
    for k, v in params:
        body += cstr(k) + cstr(v)
    body += b"\0"
    return struct.pack(">I", len(body) + 4) + body


def write(target: str, name: str, data: bytes) -> None:
    d = os.path.join(HERE, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


# --- pg_frames: [max_sel, split_seed, stream...]; max_len = 4 + 4 * max_sel -----------------
FULL = 0xFF  # max_len 1024

simple = msg(b"Q", cstr(b"SELECT 1")) + msg(b"X", b"")
extended = (
    msg(b"P", cstr(b"s1") + cstr(b"SELECT $1::int, $2") + struct.pack(">hII", 2, 23, 25))
    + msg(b"B", cstr(b"") + cstr(b"s1") + struct.pack(">hh", 1, 0) + struct.pack(">h", 2)
          + struct.pack(">i", 1) + b"7" + struct.pack(">i", -1) + struct.pack(">hh", 1, 0))
    + msg(b"D", b"P" + cstr(b""))
    + msg(b"E", cstr(b"") + struct.pack(">i", 0))
    + msg(b"C", b"S" + cstr(b"s1"))
    + msg(b"S", b"")
)
client_first = b"n,,n=,r=rOprNGfwEbeRWgbNEkqO"
auth_client = (
    msg(b"p", cstr(b"SCRAM-SHA-256") + struct.pack(">i", len(client_first)) + client_first)
    + msg(b"p", b"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=")
    + msg(b"p", cstr(b"md5" + b"0" * 32))
)
backend = (
    msg(b"R", struct.pack(">i", 10) + cstr(b"SCRAM-SHA-256") + b"\0")
    + msg(b"R", struct.pack(">i", 11) + b"r=abc,s=QSXCR+Q6sek8bf92,i=4096")
    + msg(b"R", struct.pack(">i", 12) + b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=")
    + msg(b"R", struct.pack(">i", 5) + b"\x01\x02\x03\x04")
    + msg(b"R", struct.pack(">i", 0))
    + msg(b"S", cstr(b"server_version") + cstr(b"17.2"))
    + msg(b"K", struct.pack(">ii", 4242, -7))
    + msg(b"Z", b"I")
)
errors = (
    msg(b"E", b"SERROR\0VERROR\0C42P01\0Mrelation \"t\" does not exist\0P15\0\0")
    + msg(b"N", b"SNOTICE\0C00000\0Mhello\0\0")
    + msg(b"Z", b"E")
)
write("pg_frames", "simple", bytes([FULL, 0]) + simple)
write("pg_frames", "extended", bytes([FULL, 0]) + extended)
write("pg_frames", "extended_split", bytes([FULL, 0x07]) + extended)
write("pg_frames", "auth_client", bytes([FULL, 0x13]) + auth_client)
write("pg_frames", "backend", bytes([FULL, 0]) + backend)
write("pg_frames", "errors", bytes([FULL, 0x1f]) + errors)
write("pg_frames", "too_long", bytes([2, 0]) + msg(b"Q", cstr(b"SELECT 'longer than twelve bytes'")))

# --- pg_startup: [split_seed, stream...] -----------------------------------------------------
ssl = struct.pack(">II", 8, 80877103)
gss = struct.pack(">II", 8, 80877104)
cancel = struct.pack(">IIii", 16, 80877102, 4242, -7)
psql = startup([(b"user", b"alice"), (b"database", b"app"),
                (b"application_name", b"psql"), (b"client_encoding", b"UTF8")])
write("pg_startup", "startup", bytes([0]) + psql)
write("pg_startup", "ssl_then_startup", bytes([0x05]) + ssl + startup([(b"user", b"bob")]))
write("pg_startup", "gss_cancel", bytes([0x11]) + gss + cancel)
write("pg_startup", "options", bytes([0x1f]) + startup(
    [(b"user", b"u"), (b"options", b"-c search_path=x"), (b"replication", b"false")]))
write("pg_startup", "bad_version", bytes([0]) + struct.pack(">II", 8, 0x00020000))

# --- pg_auth: [mode, flags, payload...] ------------------------------------------------------
# mode 0/1: server with a fixed verifier / mock server; payload "client-first\0client-final".
proof = base64.b64encode(bytes(range(32)))
write("pg_auth", "server", b"\x00\x00" + b"n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL\0c=biws,r=%n,p=" + proof)
write("pg_auth", "server_y", b"\x00\x00" + b"y,,n=,r=abc\0c=eSws,r=%n,x=ext,p=" + proof)
write("pg_auth", "mock", b"\x01\x07" + b"n,,n=,r=abc\0c=biws,r=%n,p=" + proof)
# mode 2: client; payload "server-first\0server-final".
write("pg_auth", "client", b"\x02\x00" + b"r=%nabcdef,s=QSXCR+Q6sek8bf92,i=4096\0v=" + proof)
write("pg_auth", "client_err", b"\x02\x00" + b"r=%nxyz,s=c2FsdA==,i=1\0e=invalid-proof")
# mode 3: honest exchange; payload "password\0salt", flags bit 0 = wrong password.
write("pg_auth", "honest", b"\x03\x00" + b"pencil\0salt")
write("pg_auth", "honest_wrong", b"\x03\x01" + b"pencil\0salt")
# mode 4: stored verifiers.
stored = base64.b64encode(hashlib.sha256(b"stored").digest())
server = base64.b64encode(hashlib.sha256(b"server").digest())
write("pg_auth", "scram_verifier",
      b"\x04\x00SCRAM-SHA-256$4096:" + base64.b64encode(b"salt-16-bytes!!!") + b"$" + stored + b":" + server)
write("pg_auth", "md5_verifier", b"\x04\x00md5" + hashlib.md5(b"secretbob").hexdigest().encode())
# mode 5: md5 challenge/response; payload "user\0password".
write("pg_auth", "md5", b"\x05\x2a" + b"bob\0secret")

# --- mysql_packets: [max_sel, split_seed, caps_sel, cmd_sel, stream...] ----------------------
# Packets: 3-byte little-endian length, sequence id, payload. The first packet is a command,
# the rest the server's reply to it (the tracker follows them).


def mpkt(seq: int, payload: bytes) -> bytes:
    return struct.pack("<I", len(payload))[:3] + bytes([seq]) + payload


def lenenc(b: bytes) -> bytes:
    return bytes([len(b)]) + b


col = b"".join(lenenc(s) for s in (b"def", b"", b"", b"", b"1", b"")) + \
    b"\x0c\x3f\x00\x01\x00\x00\x00\x08\x81\x80\x00\x00\x00"
eof = b"\xfe\x00\x00\x02\x00"
select1 = mpkt(0, b"\x03SELECT 1") + mpkt(1, b"\x01") + mpkt(2, col) + mpkt(3, eof) + \
    mpkt(4, b"\x011") + mpkt(5, eof)
write("mysql_packets", "select1", b"\xff\x00\x00\x00" + select1)
write("mysql_packets", "select1_split", b"\xff\x07\x00\x00" + select1)
ok_fe = b"\xfe\x00\x00\x02\x00\x00\x00"
write("mysql_packets", "select1_deprecate_eof", b"\xff\x00\x01\x00" + mpkt(0, b"\x03SELECT 1") +
      mpkt(1, b"\x01") + mpkt(2, col) + mpkt(3, b"\x011") + mpkt(4, ok_fe))
more = b"\x00\x00\x00\x0a\x00\x00\x00"
write("mysql_packets", "multi_error", b"\xff\x00\x00\x00" + mpkt(0, b"\x03DO 1; SELECT x") +
      mpkt(1, more) + mpkt(2, b"\xff\x7a\x04#42S02Table 'x' doesn't exist"))
prep_ok = b"\x00\x01\x00\x00\x00\x01\x00\x01\x00\x00\x00\x00"
write("mysql_packets", "prepare", b"\xff\x00\x00\x00" + mpkt(0, b"\x16SELECT ?") + mpkt(1, prep_ok) +
      mpkt(2, col) + mpkt(3, eof) + mpkt(4, col) + mpkt(5, eof))
write("mysql_packets", "execute", b"\xff\x00\x00\x00" +
      mpkt(0, b"\x17\x01\x00\x00\x00\x00\x01\x00\x00\x00\x00\x01\x08\x00" + struct.pack("<q", 41)) +
      mpkt(1, b"\x01") + mpkt(2, col) + mpkt(3, eof) + mpkt(4, b"\x00\x00" + struct.pack("<q", 42)) +
      mpkt(5, eof))
write("mysql_packets", "infile", b"\xff\x00\x00\x00" + mpkt(0, b"\x03LOAD DATA LOCAL INFILE 'f' INTO TABLE t") +
      mpkt(1, b"\xfbf") + mpkt(4, b"\x00\x03\x00\x02\x00\x00\x00"))
session = b"\x00\x00\x00\x02\x40\x00\x00\x00\x07\x01\x05\x04test"
write("mysql_packets", "init_db_session", b"\xff\x00\x02\x00" + mpkt(0, b"\x02test") + mpkt(1, session))
attrs = lenenc(b"_client_name") + lenenc(b"libmariadb")
resp = struct.pack("<IIB", 0x003ba20f, 1 << 24, 45) + b"\0" * 23 + b"app\0" + bytes([20]) + bytes(range(20)) + \
    b"shop\0mysql_native_password\0" + lenenc(attrs)
write("mysql_packets", "handshake_response", b"\xff\x00\x18\x00" + mpkt(1, resp))
hs = b"\x0a5.5.5-10.11.6-MariaDB\0" + struct.pack("<I", 7) + b"abcdefgh\0" + b"\xfe\xf7\x2d\x02\x00\xff\x81\x15" + \
    b"\0" * 6 + struct.pack("<I", 0x1d) + b"ijklmnopqrst\0mysql_native_password\0"
write("mysql_packets", "handshake_v10", b"\xff\x00\x00\x00" + mpkt(0, hs))
write("mysql_packets", "query_attrs", b"\xff\x00\x04\x00" +
      mpkt(0, b"\x03\x01\x01\x00\x01\xfd\x00\x05trace\x03abcSELECT 1") + mpkt(1, b"\x00\x00\x00\x02\x00\x00\x00"))
write("mysql_packets", "big_announce", b"\x01\x00\x00\x00" + b"\xff\xff\xff\x00abc")


# --- sql_translate: the query text itself (MySQL rewriter gets the bytes, PG translator UTF-8) ---
SQL = {
    "psql_dt": b"SELECT n.nspname as \"Schema\",\n  c.relname as \"Name\",\n  CASE c.relkind WHEN 'r' THEN 'table' WHEN 'v' THEN 'view' END as \"Type\",\n  pg_catalog.pg_get_userbyid(c.relowner) as \"Owner\"\nFROM pg_catalog.pg_class c\n     LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace\nWHERE c.relkind IN ('r','p','')\n      AND n.nspname <> 'pg_catalog'\n      AND n.nspname !~ '^pg_toast'\n  AND pg_catalog.pg_table_is_visible(c.oid)\nORDER BY 1,2;",
    "psql_d_table": b"SELECT c.oid,\n  n.nspname,\n  c.relname\nFROM pg_catalog.pg_class c\n     LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace\nWHERE c.relname OPERATOR(pg_catalog.~) '^(users)$' COLLATE pg_catalog.default\n  AND pg_catalog.pg_table_is_visible(c.oid)\nORDER BY 2, 3;\nSELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod) FROM pg_catalog.pg_attribute a WHERE a.attrelid = '16384' AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum;",
    "sqlalchemy_insertmanyvalues": b"INSERT INTO users (name, email) SELECT p0::VARCHAR, p1::VARCHAR FROM (VALUES ($1::VARCHAR, $2::VARCHAR, 0), ($3::VARCHAR, $4::VARCHAR, 1)) AS imp_sen(p0, p1, sen_counter) ORDER BY sen_counter RETURNING users.id, users.id AS id__1",
    "pg_create_serial": b"CREATE TABLE IF NOT EXISTS orders (id SERIAL PRIMARY KEY, total NUMERIC(10,2) NOT NULL DEFAULT 0, tags TEXT[], created timestamptz DEFAULT now())",
    "pg_tx": b"BEGIN; SAVEPOINT s1; UPDATE t SET v = v + 1 WHERE id = $1; ROLLBACK TO SAVEPOINT s1; COMMIT",
    "pg_dollar": b"SELECT $$it's a $tag$ body$$, $fn$ nested $$ quotes $fn$, E'esc\\'aped\\n', U&'d\\0061t\\+000061' -- trailing\n/* block /* nested */ comment */",
    "pg_set_show": b"SET client_encoding TO 'UTF8'; SET search_path = public, \"$user\"; SHOW server_version; SHOW transaction_isolation",
    "pg_trigger": b"CREATE TRIGGER trg AFTER INSERT ON t BEGIN UPDATE c SET n = CASE WHEN n IS NULL THEN 1 ELSE n + 1 END; END; SELECT 1",
    "mysql_create_auto_increment": b"CREATE TABLE `users` (\n  `id` int(11) unsigned NOT NULL AUTO_INCREMENT,\n  `name` varchar(255) COLLATE utf8mb4_unicode_ci DEFAULT NULL COMMENT 'full name',\n  `created` datetime NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,\n  PRIMARY KEY (`id`),\n  UNIQUE KEY `uq_name` (`name`)\n) ENGINE=InnoDB AUTO_INCREMENT=5 DEFAULT CHARSET=utf8mb4",
    "mysql_show_set": b"SET NAMES utf8mb4 COLLATE utf8mb4_general_ci; SET @@session.autocommit = 1, @x := 5; SHOW FULL COLUMNS FROM `users` LIKE 'n%'; SHOW VARIABLES LIKE 'version%'; SHOW TABLES",
    "mysql_strings": b"SELECT 'it''s', \"dq \\\"x\\\"\", 'tab\\there\\\\', _utf8mb4'x' COLLATE utf8mb4_bin, X'4142', 0x4142, b'101' # hash comment\n",
    "mysql_comments": b"/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;\n/*!50503 SET NAMES utf8mb4 */; -- dump header\nSELECT 1 /* inline */ + 2;",
    "mysql_prepare_dml": b"INSERT INTO t (a, b) VALUES (?, ?), (?, ?) ON DUPLICATE KEY UPDATE b = VALUES(b); UPDATE t SET a = ? WHERE b LIKE CONCAT('%', ?, '%') LIMIT 10",
    "mysql_select_limit": b"SELECT SQL_CALC_FOUND_ROWS id, IFNULL(name, '') FROM `db`.`users` WHERE created > NOW() - INTERVAL 1 DAY ORDER BY id DESC LIMIT 5, 10 FOR UPDATE",
    "mysql_ddl_alter": b"ALTER TABLE t ADD COLUMN c TINYINT(1) NOT NULL DEFAULT '0' AFTER b; DROP INDEX idx ON t; TRUNCATE TABLE t; USE shop",
}
for name, text in SQL.items():
    write("sql_translate", name, text)
