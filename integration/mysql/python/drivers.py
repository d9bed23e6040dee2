"""One small adapter per Python MySQL driver so the same cases run on each.

- pymysql:   PyMySQL, pure Python, text protocol only (client-side parameter interpolation).
- mysqlclient: MySQLdb over libmariadb (C), text protocol (it has no server-side prepared statements).
- connector: mysql-connector-python (pure-Python implementation), `cursor(prepared=True)` =
  COM_STMT_PREPARE / COM_STMT_EXECUTE, the binary protocol.
"""
import dataclasses
import os


@dataclasses.dataclass
class Config:
    host: str
    port: int
    user: str
    password: str
    database: str
    other_database: str
    ssl: bool
    ssl_ca: str | None

    @classmethod
    def from_env(cls):
        db = os.environ.get("MYSQL_DATABASE", "articdbm_it")
        return cls(
            host=os.environ.get("MYSQL_HOST", "127.0.0.1"),
            port=int(os.environ.get("MYSQL_PORT", "3306")),
            user=os.environ.get("MYSQL_USER", "root"),
            password=os.environ.get("MYSQL_PASSWORD", ""),
            database=db,
            other_database=os.environ.get("MYSQL_OTHER_DATABASE", db + "_other"),
            ssl=os.environ.get("MYSQL_SSL", "0") == "1",
            ssl_ca=os.environ.get("MYSQL_SSL_CA") or None,
        )


_DEFAULT = object()


class PyMySQL:
    name = "pymysql"
    binary = False
    multi = True
    negative_time_ok = True
    big_binary_rows_ok = True
    year_ok = True

    def connect(self, c, database=_DEFAULT, **kw):
        import pymysql
        from pymysql.constants import CLIENT

        args = dict(host=c.host, port=c.port, user=c.user, password=c.password,
                    database=c.database if database is _DEFAULT else database,
                    client_flag=CLIENT.MULTI_STATEMENTS, max_allowed_packet=64 * 1024 * 1024,
                    connect_timeout=10, charset="utf8mb4")
        if c.ssl:
            if c.ssl_ca:
                args.update(ssl_ca=c.ssl_ca, ssl_verify_cert=True)
            else:
                args["ssl"] = {"check_hostname": False}
        args.update(kw)
        return pymysql.connect(**args)

    def cursor(self, conn):
        return conn.cursor()

    @staticmethod
    def set_autocommit(conn, on):
        conn.autocommit(on)

    @staticmethod
    def errcode(e):
        return e.args[0]


class MySQLClient:
    name = "mysqlclient"
    binary = False
    multi = True
    negative_time_ok = True
    big_binary_rows_ok = True
    year_ok = True

    def connect(self, c, database=_DEFAULT, **kw):
        import MySQLdb
        from MySQLdb.constants import CLIENT

        args = dict(host=c.host, port=c.port, user=c.user, password=c.password,
                    client_flag=CLIENT.MULTI_STATEMENTS | CLIENT.MULTI_RESULTS,
                    connect_timeout=10, charset="utf8mb4")
        db = c.database if database is _DEFAULT else database
        if db:
            args["database"] = db
        if c.ssl:
            args["ssl_mode"] = "VERIFY_CA" if c.ssl_ca else "REQUIRED"
            args["ssl"] = {"ca": c.ssl_ca} if c.ssl_ca else {}
        args.update(kw)
        return MySQLdb.connect(**args)

    def cursor(self, conn):
        return conn.cursor()

    @staticmethod
    def set_autocommit(conn, on):
        conn.autocommit(on)

    @staticmethod
    def errcode(e):
        return e.args[0]


class Connector:
    """Known bugs of mysql-connector-python 26.10's pure-Python binary protocol (found against plain
    MariaDB, so not the proxy's): negative TIME values are encoded and decoded with the wrong sign/
    magnitude (only the days part is negated), and a binary-protocol row over 16 MiB (multi-packet)
    comes back truncated to ~16 MiB, and a YEAR column in a binary row is decoded as a 1-byte string
    (which then misaligns the rest of the row). The cases work around exactly those spots."""
    name = "connector"
    binary = True
    multi = True
    negative_time_ok = False
    big_binary_rows_ok = False
    year_ok = False

    def connect(self, c, database=_DEFAULT, **kw):
        import mysql.connector

        args = dict(host=c.host, port=c.port, user=c.user, password=c.password,
                    use_pure=True, autocommit=False, connection_timeout=10, charset="utf8mb4",
                    collation="utf8mb4_general_ci")
        db = c.database if database is _DEFAULT else database
        if db:
            args["database"] = db
        if c.ssl:
            if c.ssl_ca:
                args.update(ssl_ca=c.ssl_ca, ssl_verify_cert=True)
        else:
            args["ssl_disabled"] = True
        args.update(kw)
        return mysql.connector.connect(**args)

    def cursor(self, conn):
        return conn.cursor(prepared=True)

    @staticmethod
    def set_autocommit(conn, on):
        conn.autocommit = on

    @staticmethod
    def errcode(e):
        return getattr(e, "errno", None) or e.args[0]


DRIVERS = {d.name: d for d in (PyMySQL(), MySQLClient(), Connector())}
