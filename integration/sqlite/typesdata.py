"""The values every type round-trip sends, the column each goes in, and the Python type and
wire type each driver must hand back (the issue's mapping: INTEGER -> int8, REAL -> float8,
TEXT -> text, BLOB -> bytea; NUMERIC, BOOLEAN, DATE, TIMESTAMP where the column declares them).

Six rows (ids 1..6) carry one value per column each; row 100 is all NULL."""

from datetime import date, datetime
from decimal import Decimal

ROWS = 6
NULL_ID = 100

INTS = [0, 1, -1, 2**31, -(2**63), 2**63 - 1]
BIGS = [2**40, -(2**40), 7, -(2**63), 2**63 - 1, 42]
FLOATS = [0.0, 1.5, -2.25, 0.1 + 0.2, 2.2250738585072014e-308, 1.7976931348623157e308]
TEXTS = [
    "",
    "plain ascii",
    "it's a \\ backslash and \"double\" quotes",
    "héllo wörld ✓ 日本語 🎉 Ωmega",
    "line1\nline2\ttab\r\nend",
    "%s %(x)s ? $1 :x -- /* not a comment */",
]
BYTES = [
    b"",
    b"\x00\x01\x02\xff",
    bytes(range(256)),
    b"\\x00 looks like hex",
    b"'quote\x00nul\"",
    "héllo".encode(),
]
NUMERICS = [
    Decimal("0"),
    Decimal("19.99"),
    Decimal("-0.5"),
    Decimal("12345.678901"),
    Decimal("99999999.99"),
    Decimal("-7"),
]
BOOLS = [True, False, True, False, True, False]
DATES = [
    date(2024, 2, 29),
    date(1970, 1, 1),
    date(1999, 12, 31),
    date(2038, 1, 19),
    date(2000, 1, 1),
    date(2100, 12, 31),
]
TIMESTAMPS = [
    datetime(2024, 2, 29, 13, 14, 15, 123456),
    datetime(1970, 1, 1, 0, 0, 0),
    datetime(1999, 12, 31, 23, 59, 59),
    datetime(2038, 1, 19, 3, 14, 7, 1),
    datetime(2000, 1, 1, 12, 0, 0, 500000),
    datetime(2100, 12, 31, 23, 59, 59, 999999),
]

# (column, values, label for the check line)
COLUMNS = [
    ("i", INTS, "INTEGER (incl. 64-bit extremes)"),
    ("big", BIGS, "BIGINT"),
    ("f", FLOATS, "REAL (exact: 0.1+0.2, min normal, max double)"),
    ("dp", FLOATS, "DOUBLE PRECISION"),
    ("s", TEXTS, "TEXT (unicode, quotes, backslash, newlines, placeholders)"),
    ("b", BYTES, "BLOB/BYTEA (NUL, all 256 byte values)"),
    ("n", NUMERICS, "NUMERIC/DECIMAL"),
    ("flag", BOOLS, "BOOLEAN"),
    ("d", DATES, "DATE"),
    ("ts", TIMESTAMPS, "TIMESTAMP/DATETIME (microseconds)"),
]
NAMES = [c for c, _, _ in COLUMNS]

# The table as a PostgreSQL client declares it, and as a MySQL client does.
PG_DDL = (
    "CREATE TABLE {t} (id INTEGER PRIMARY KEY, i INTEGER, big BIGINT, f REAL, "
    "dp DOUBLE PRECISION, s TEXT, b BYTEA, n NUMERIC(20,6), flag BOOLEAN, d DATE, ts TIMESTAMP)"
)
MYSQL_DDL = (
    "CREATE TABLE {t} (id INTEGER PRIMARY KEY, i INTEGER, big BIGINT, f REAL, "
    "dp DOUBLE, s TEXT, b LONGBLOB, n DECIMAL(20,6), flag BOOLEAN, d DATE, ts DATETIME(6))"
)
# A table made by SQLite itself (python's sqlite3, before the proxy starts): the plain SQLite
# declared types, values stored the way SQLite programs store them.
NATIVE_DDL = (
    "CREATE TABLE {t} (id INTEGER PRIMARY KEY, i INTEGER, big INTEGER, f REAL, dp REAL, "
    "s TEXT, b BLOB, n NUMERIC, flag BOOLEAN, d DATE, ts TIMESTAMP)"
)

# What PostgreSQL drivers must get: Python type and type OID, per column.
PG_EXPECT = {
    "i": (int, {20}),
    "big": (int, {20}),
    "f": (float, {701}),
    "dp": (float, {701}),
    "s": (str, {25, 1043}),
    "b": (bytes, {17}),
    "n": (Decimal, {1700}),
    "flag": (bool, {16}),
    "d": (date, {1082}),
    "ts": (datetime, {1114}),
}
PG_TYPE_NAMES = {20: "int8", 701: "float8", 25: "text", 1043: "varchar", 17: "bytea",
                 1700: "numeric", 16: "bool", 1082: "date", 1114: "timestamp", 23: "int4",
                 21: "int2", 700: "float4", 1184: "timestamptz", 705: "unknown"}

# MySQL field types (PyMySQL FIELD_TYPE) accepted per column, and the Python type.
MY_LONGLONG, MY_LONG, MY_TINY, MY_DOUBLE, MY_NEWDECIMAL, MY_DECIMAL = 8, 3, 1, 5, 246, 0
MY_DATE, MY_DATETIME, MY_TIMESTAMP = 10, 12, 7
MY_BLOB, MY_VAR_STRING, MY_STRING, MY_LONG_BLOB, MY_MEDIUM_BLOB = 252, 253, 254, 251, 250
MY_TEXTISH = {MY_BLOB, MY_VAR_STRING, MY_STRING, MY_LONG_BLOB, MY_MEDIUM_BLOB}
MYSQL_EXPECT = {
    "i": (int, {MY_LONGLONG, MY_LONG}),
    "big": (int, {MY_LONGLONG}),
    "f": (float, {MY_DOUBLE}),
    "dp": (float, {MY_DOUBLE}),
    "s": (str, MY_TEXTISH),
    "b": (bytes, MY_TEXTISH),
    "n": (Decimal, {MY_NEWDECIMAL, MY_DECIMAL}),
    "flag": (int, {MY_TINY, MY_LONGLONG, MY_LONG}),
    "d": (date, {MY_DATE}),
    "ts": (datetime, {MY_DATETIME, MY_TIMESTAMP}),
}
MYSQL_TYPE_NAMES = {8: "LONGLONG", 3: "LONG", 1: "TINY", 5: "DOUBLE", 246: "NEWDECIMAL", 0: "DECIMAL",
                    10: "DATE", 12: "DATETIME", 7: "TIMESTAMP", 252: "BLOB", 253: "VAR_STRING",
                    254: "STRING", 251: "LONG_BLOB", 250: "MEDIUM_BLOB", 15: "VARCHAR"}


def row(k):
    """The values of row k (0-based) in column order."""
    return [values[k] for _, values, _ in COLUMNS]


def native_value(col, v):
    """How a SQLite program stores v: booleans as 1/0, dates and timestamps as ISO text,
    decimals as their text (NUMERIC affinity makes them numbers)."""
    if col == "flag":
        return 1 if v else 0
    if col == "d":
        return v.isoformat()
    if col == "ts":
        return v.isoformat(sep=" ")
    if col == "n":
        return str(v)
    return v


def same(col, got, want):
    """Equality as the column's type defines it (booleans from MySQL come back as 1/0)."""
    if col == "flag" and isinstance(got, int) and not isinstance(got, bool):
        return got == (1 if want else 0)
    if isinstance(want, float) and isinstance(got, float):
        return got == want or (got != got and want != want)
    return type(got) is type(want) and got == want or (col == "n" and got == want)


def compare_column(col, got_values, want_values, pytype, label_oids=None, wire_names=None):
    """Raises AssertionError naming every mismatch; returns the ok-line detail."""
    problems = []
    for k, (got, want) in enumerate(zip(got_values, want_values)):
        if not isinstance(got, pytype) or not same(col, got, want):
            problems.append(f"row {k + 1}: got {got!r} ({type(got).__name__}), want {want!r}")
    if len(got_values) != len(want_values):
        problems.append(f"{len(got_values)} rows, want {len(want_values)}")
    detail = f"Python {pytype.__name__}"
    if label_oids is not None:
        detail += f", wire type {label_oids}"
    if problems:
        raise AssertionError(f"{detail}; " + "; ".join(problems[:4]))
    return detail
