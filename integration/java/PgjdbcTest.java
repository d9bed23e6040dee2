// pgjdbc against PostgreSQL or the ArticDBM proxy: a self-contained test program.
//
// Settings from PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE; ARTICDBM_POOL_MODE
// gates LISTEN/NOTIFY; PGSSLROOTCERT (+ PGSSLHOST, default localhost) enables the
// TLS verify-full test. Every connection uses prepareThreshold=1, so statements
// are server-prepared (named S_n) from their first execution.
//
// Each test runs in its own thread with a 60 s limit; a global watchdog ends the
// program after 15 min. Prints "N passed, N failed" and exits 1 on any failure.

import java.io.StringReader;
import java.io.Writer;
import java.lang.reflect.Field;
import java.math.BigDecimal;
import java.net.Socket;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicReference;

import javax.net.ssl.SSLSocket;

import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.postgresql.PGStatement;
import org.postgresql.copy.CopyManager;
import org.postgresql.util.PSQLException;

public class PgjdbcTest {
    static final String HOST = env("PGHOST", "127.0.0.1");
    static final String PORT = env("PGPORT", "5432");
    static final String USER = env("PGUSER", "postgres");
    static final String PASSWORD = env("PGPASSWORD", "");
    static final String DB = env("PGDATABASE", "test");
    static final String POOL_MODE = env("ARTICDBM_POOL_MODE", "");
    static final String SSLROOTCERT = env("PGSSLROOTCERT", "");
    static final String SSLHOST = env("PGSSLHOST", "localhost");

    static final int BIG_ROWS = 100_000;
    static final int BIG_WIDTH = 1000;
    static final String BIG_SQL =
            "SELECT repeat('x', " + BIG_WIDTH + ") FROM generate_series(1, " + BIG_ROWS + ")";
    static final int COPY_ROWS = 10_000;
    static final long TEST_TIMEOUT_MS = 60_000;

    static int passed, failed, skipped;
    static final List<String> failures = new ArrayList<>();
    static final SecureRandom RNG = new SecureRandom();

    static String env(String k, String d) {
        String v = System.getenv(k);
        return v == null || v.isEmpty() ? d : v;
    }

    // ---- tiny test harness ------------------------------------------------------

    interface Body {
        void run() throws Exception;
    }

    static void test(String name, Body body) {
        AtomicReference<Throwable> err = new AtomicReference<>();
        long start = System.nanoTime();
        Thread t = new Thread(() -> {
            try {
                body.run();
            } catch (Throwable e) {
                err.set(e);
            }
        }, "test-" + name);
        t.setDaemon(true);
        t.start();
        try {
            t.join(TEST_TIMEOUT_MS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        long ms = (System.nanoTime() - start) / 1_000_000;
        if (t.isAlive()) {
            t.interrupt();
            err.set(new AssertionError("timed out after " + TEST_TIMEOUT_MS + " ms"));
        }
        if (err.get() == null) {
            passed++;
            System.out.printf("ok   %-50s %6d ms%n", name, ms);
        } else {
            failed++;
            failures.add(name);
            System.out.printf("FAIL %-50s %6d ms%n", name, ms);
            err.get().printStackTrace(System.out);
        }
    }

    static void skip(String name, String why) {
        skipped++;
        System.out.printf("skip %-50s (%s)%n", name, why);
    }

    static void check(boolean cond, String msg) {
        if (!cond) throw new AssertionError(msg);
    }

    static void eq(Object expected, Object actual, String what) {
        boolean same = expected == null ? actual == null
                : (expected instanceof byte[] && actual instanceof byte[])
                        ? Arrays.equals((byte[]) expected, (byte[]) actual)
                        : expected.equals(actual);
        if (!same) throw new AssertionError(what + ": expected <" + expected + "> but was <" + actual + ">");
    }

    /** Runs body, which must fail with the given SQLSTATE; returns the exception. */
    static SQLException sqlState(String state, Body body) throws Exception {
        try {
            body.run();
        } catch (SQLException e) {
            if (!state.equals(e.getSQLState()))
                throw new AssertionError("expected SQLSTATE " + state + " but got " + e.getSQLState() + ": " + e, e);
            return e;
        }
        throw new AssertionError("expected SQLSTATE " + state + " but the statement succeeded");
    }

    // ---- connections ------------------------------------------------------------------

    static String url(String host, String params) {
        return "jdbc:postgresql://" + host + ":" + PORT + "/" + DB
                + "?prepareThreshold=1&connectTimeout=10&loginTimeout=15&ApplicationName=articdbm-it-java"
                + (params.isEmpty() ? "" : "&" + params);
    }

    static Connection connect() throws SQLException {
        return connect("");
    }

    static Connection connect(String params) throws SQLException {
        return connectTo(HOST, params);
    }

    static Connection connectTo(String host, String params) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", USER);
        if (!PASSWORD.isEmpty()) p.setProperty("password", PASSWORD);
        return DriverManager.getConnection(url(host, params), p);
    }

    static String uniqueName(String prefix) {
        byte[] b = new byte[5];
        RNG.nextBytes(b);
        return "it_java_" + prefix + "_" + HexFormat.of().formatHex(b);
    }

    interface TableBody {
        void run(Connection c, String table) throws Exception;
    }

    /** A fresh connection and a unique table name; the table is dropped afterwards. */
    static Body withTable(String prefix, TableBody body) {
        return () -> {
            String table = uniqueName(prefix);
            try (Connection c = connect()) {
                body.run(c, table);
            } finally {
                // simple query protocol: no named statements that a broken pooler could collide on
                try (Connection c = connect("preferQueryMode=simple"); Statement s = c.createStatement()) {
                    s.execute("DROP TABLE IF EXISTS " + table);
                }
            }
        };
    }

    static Object one(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            check(rs.next(), "no row from " + sql);
            return rs.getObject(1);
        }
    }

    // ---- the tests ------------------------------------------------------------------------

    public static void main(String[] args) throws Exception {
        Thread watchdog = new Thread(() -> {
            try {
                Thread.sleep(15 * 60_000);
                System.out.println("global watchdog: suite exceeded 15 min");
                System.out.println(passed + " passed, " + (failed + 1) + " failed");
                System.exit(3);
            } catch (InterruptedException e) {
                // finished in time
            }
        }, "watchdog");
        watchdog.setDaemon(true);
        watchdog.start();

        System.out.println("pgjdbc " + org.postgresql.util.DriverInfo.DRIVER_VERSION
                + " -> " + HOST + ":" + PORT + "/" + DB);

        // (1) transactions
        test("commit and rollback", withTable("tx", (c, t) -> {
            try (Statement s = c.createStatement()) {
                s.execute("CREATE TABLE " + t + " (id int PRIMARY KEY, v text)");
            }
            c.setAutoCommit(false);
            try (PreparedStatement ins = c.prepareStatement("INSERT INTO " + t + " VALUES (?, ?)")) {
                ins.setInt(1, 1);
                ins.setString(2, "kept");
                ins.executeUpdate();
                c.commit();
                ins.setInt(1, 2);
                ins.setString(2, "rolled back");
                ins.executeUpdate();
                c.rollback();
                ins.setInt(1, 3);
                ins.setString(2, "kept too");
                ins.executeUpdate();
                c.commit();
            }
            try (Connection other = connect()) {
                eq("{1,3}", one(other, "SELECT array_agg(id ORDER BY id)::text FROM " + t), "committed ids");
            }
        }));

        // (2) prepared statements reused
        test("server-prepared statements across 50 transactions", withTable("prep", (c, t) -> {
            try (Statement s = c.createStatement()) {
                s.execute("CREATE TABLE " + t + " (id int PRIMARY KEY, v text)");
            }
            c.setAutoCommit(false);
            PreparedStatement ins = c.prepareStatement("INSERT INTO " + t + " (id, v) VALUES (?, ?)");
            PreparedStatement sel = c.prepareStatement("SELECT v FROM " + t + " WHERE id = ?");
            for (int i = 0; i < 100; i++) {
                if (i == 50) c.setAutoCommit(true); // the second half in autocommit
                ins.setInt(1, i);
                ins.setString(2, "row " + i);
                eq(1, ins.executeUpdate(), "inserted");
                sel.setInt(1, i);
                try (ResultSet rs = sel.executeQuery()) {
                    check(rs.next(), "row " + i + " visible");
                    eq("row " + i, rs.getString(1), "value");
                }
                if (i < 50) c.commit();
                check(ins.unwrap(PGStatement.class).isUseServerPrepare(), "INSERT server-prepared");
                check(sel.unwrap(PGStatement.class).isUseServerPrepare(), "SELECT server-prepared");
            }
            eq(100L, one(c, "SELECT count(*) FROM " + t), "row count");
            ins.close();
            sel.close();
        }));

        test("batch insert (pipelined extended protocol)", withTable("batch", (c, t) -> {
            try (Statement s = c.createStatement()) {
                s.execute("CREATE TABLE " + t + " (id int, v text)");
            }
            c.setAutoCommit(false);
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + t + " VALUES (?, ?)")) {
                for (int i = 0; i < 1000; i++) {
                    ps.setInt(1, i);
                    ps.setString(2, "b" + i);
                    ps.addBatch();
                }
                int[] counts = ps.executeBatch();
                eq(1000, counts.length, "batch size");
            }
            c.commit();
            eq(1000L, one(c, "SELECT count(*) FROM " + t), "rows after batch");
            c.commit();
        }));

        test("same statement names with different SQL on 4 connections", () -> {
            Connection[] cs = new Connection[4];
            PreparedStatement[] ps = new PreparedStatement[4];
            try {
                for (int n = 0; n < 4; n++) {
                    cs[n] = connect();
                    ps[n] = cs[n].prepareStatement("SELECT ?::int + " + n + ", '" + "x".repeat(n) + "'");
                }
                for (int i = 0; i < 50; i++) {
                    for (int n = 0; n < 4; n++) {
                        boolean tx = i % 2 == 1;
                        if (tx) cs[n].setAutoCommit(false);
                        ps[n].setInt(1, i);
                        try (ResultSet rs = ps[n].executeQuery()) {
                            check(rs.next(), "row");
                            eq(i + n, rs.getInt(1), "conn " + n + " iteration " + i);
                            eq("x".repeat(n), rs.getString(2), "conn " + n + " text");
                        }
                        if (tx) {
                            cs[n].commit();
                            cs[n].setAutoCommit(true);
                        }
                    }
                }
            } finally {
                for (Connection c : cs) if (c != null) c.close();
            }
        });

        // (3) COPY
        test("COPY FROM STDIN / TO STDOUT round trip", withTable("copy", (c, t) -> {
            try (Statement s = c.createStatement()) {
                s.execute("CREATE TABLE " + t + " (id int, name text, note text)");
            }
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < COPY_ROWS; i++) {
                sb.append(i).append("\tname\\t").append(i).append('\t')
                        .append(i % 7 == 0 ? "\\N" : "é✓").append('\n');
            }
            String data = sb.toString();
            CopyManager cm = c.unwrap(PGConnection.class).getCopyAPI();
            long in = cm.copyIn("COPY " + t + " (id, name, note) FROM STDIN", new StringReader(data));
            eq((long) COPY_ROWS, in, "rows copied in");
            StringBuilder out = new StringBuilder();
            long outRows = cm.copyOut("COPY (SELECT * FROM " + t + " ORDER BY id) TO STDOUT", new Writer() {
                @Override public void write(char[] cbuf, int off, int len) { out.append(cbuf, off, len); }
                @Override public void flush() {}
                @Override public void close() {}
            });
            eq((long) COPY_ROWS, outRows, "rows copied out");
            eq(data, out.toString(), "COPY TO STDOUT text");
            eq(1, one(c, "SELECT 1"), "usable after COPY");
        }));

        // (4) 100 MB streamed with a fetch size inside a transaction
        test("100 MB result streamed with setFetchSize", () -> {
            try (Connection c = connect()) {
                c.setAutoCommit(false);
                long rows = 0, bytes = 0;
                try (Statement s = c.createStatement()) {
                    s.setFetchSize(1000);
                    try (ResultSet rs = s.executeQuery(BIG_SQL)) {
                        while (rs.next()) {
                            bytes += rs.getString(1).length();
                            rows++;
                        }
                    }
                }
                c.commit();
                eq((long) BIG_ROWS, rows, "rows");
                eq((long) BIG_ROWS * BIG_WIDTH, bytes, "bytes");
            }
        });

        // (5) NULLs, types, binary transfer (prepareThreshold=-1 forces binary results)
        test("types, NULLs and bytea in binary transfer", withTable("types", (c0, t) -> {
            try (Statement s = c0.createStatement()) {
                s.execute("CREATE TABLE " + t + " (i int, bi bigint, f float8, n numeric, ts timestamp,"
                        + " b bool, tx text, by bytea, nul int)");
            }
            byte[] payload = new byte[100_256];
            RNG.nextBytes(payload);
            for (int k = 0; k < 256; k++) payload[100_000 + k] = (byte) k;
            BigDecimal num = new BigDecimal("12345678901234567890.0123456789");
            Timestamp ts = Timestamp.valueOf("2024-02-29 23:59:58.123456");
            for (String mode : new String[] {"prepareThreshold=-1&binaryTransfer=true", "binaryTransfer=false"}) {
                try (Connection c = connect(mode)) {
                    try (Statement s = c.createStatement()) {
                        s.execute("TRUNCATE " + t);
                    }
                    try (PreparedStatement ps = c.prepareStatement(
                            "INSERT INTO " + t + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
                        ps.setInt(1, 42);
                        ps.setLong(2, -(1L << 62));
                        ps.setDouble(3, 3.5);
                        ps.setBigDecimal(4, num);
                        ps.setTimestamp(5, ts);
                        ps.setBoolean(6, true);
                        ps.setString(7, "héllo ☃");
                        ps.setBytes(8, payload);
                        ps.setNull(9, java.sql.Types.INTEGER);
                        ps.executeUpdate();
                        int[] sqlTypes = {java.sql.Types.INTEGER, java.sql.Types.BIGINT, java.sql.Types.DOUBLE,
                            java.sql.Types.NUMERIC, java.sql.Types.TIMESTAMP, java.sql.Types.BOOLEAN,
                            java.sql.Types.VARCHAR, java.sql.Types.BINARY, java.sql.Types.INTEGER};
                        for (int k = 1; k <= 9; k++) ps.setNull(k, sqlTypes[k - 1]);
                        ps.executeUpdate();
                    }
                    for (int rep = 0; rep < 3; rep++) { // repeated so binary transfer kicks in
                        try (PreparedStatement ps = c.prepareStatement(
                                "SELECT * FROM " + t + " WHERE i = ? OR i IS NULL ORDER BY i NULLS LAST")) {
                            ps.setInt(1, 42);
                            try (ResultSet rs = ps.executeQuery()) {
                                check(rs.next(), "first row");
                                eq(42, rs.getInt(1), mode + " int");
                                eq(-(1L << 62), rs.getLong(2), mode + " bigint");
                                eq(3.5, rs.getDouble(3), mode + " float8");
                                eq(num, rs.getBigDecimal(4), mode + " numeric");
                                eq(ts, rs.getTimestamp(5), mode + " timestamp");
                                eq(true, rs.getBoolean(6), mode + " bool");
                                eq("héllo ☃", rs.getString(7), mode + " text");
                                eq(payload, rs.getBytes(8), mode + " bytea");
                                rs.getInt(9);
                                check(rs.wasNull(), "NULL int");
                                check(rs.next(), "second row");
                                for (int k = 1; k <= 9; k++) eq(null, rs.getObject(k), mode + " NULL column " + k);
                                check(!rs.next(), "two rows");
                            }
                        }
                    }
                }
            }
        }));

        // (6) errors
        test("error inside a transaction, rollback, usable", () -> {
            try (Connection c = connect()) {
                c.setAutoCommit(false);
                try (PreparedStatement ps = c.prepareStatement("SELECT 1 / ?")) {
                    ps.setInt(1, 0);
                    sqlState("22012", ps::executeQuery);
                }
                sqlState("25P02", () -> one(c, "SELECT 2"));
                c.rollback();
                eq(3, one(c, "SELECT 3"), "after rollback");
                c.commit();
            }
        });

        test("error outside a transaction, next query succeeds", () -> {
            try (Connection c = connect()) {
                sqlState("42P01", () -> one(c, "SELECT * FROM it_no_such_table_xyz"));
                eq("ok", one(c, "SELECT 'ok'"), "after error");
                sqlState("42601", () -> one(c, "SELEC 1"));
                try (PreparedStatement ps = c.prepareStatement("SELECT ?::int")) {
                    ps.setString(1, "not a number");
                    sqlState("22P02", ps::executeQuery);
                    ps.setString(1, "5");
                    try (ResultSet rs = ps.executeQuery()) {
                        check(rs.next(), "row");
                        eq(5, rs.getInt(1), "reused after error");
                    }
                }
            }
        });

        // (7) cancel
        for (boolean autocommit : new boolean[] {true, false}) {
            test("Statement.cancel() of pg_sleep(10), autocommit=" + autocommit, () -> {
                try (Connection c = connect()) {
                    c.setAutoCommit(autocommit);
                    eq(1, one(c, "SELECT 1"), "warm up");
                    try (Statement s = c.createStatement()) {
                        Thread canceller = new Thread(() -> {
                            try {
                                Thread.sleep(500);
                                s.cancel();
                            } catch (Exception e) {
                                e.printStackTrace(System.out);
                            }
                        });
                        canceller.start();
                        long start = System.nanoTime();
                        sqlState("57014", () -> s.executeQuery("SELECT pg_sleep(10)"));
                        long ms = (System.nanoTime() - start) / 1_000_000;
                        canceller.join(5000);
                        check(ms < 2500, "cancel took " + ms + " ms");
                    }
                    if (!autocommit) c.rollback();
                    eq("alive", one(c, "SELECT 'alive'"), "after cancel");
                }
            });
        }

        // (8) LISTEN/NOTIFY
        if (POOL_MODE.isEmpty() || POOL_MODE.equals("session")) {
            test("LISTEN/NOTIFY", () -> {
                String chan = uniqueName("chan");
                try (Connection listener = connect(); Connection sender = connect()) {
                    try (Statement s = listener.createStatement()) {
                        s.execute("LISTEN " + chan);
                    }
                    try (PreparedStatement ps = sender.prepareStatement("SELECT pg_notify(?, ?)")) {
                        ps.setString(1, chan);
                        ps.setString(2, "payload 1");
                        ps.executeQuery().close();
                    }
                    try (Statement s = sender.createStatement()) {
                        s.execute("NOTIFY " + chan + ", 'payload 2'");
                    }
                    List<String> got = new ArrayList<>();
                    long deadline = System.currentTimeMillis() + 10_000;
                    PGConnection pgc = listener.unwrap(PGConnection.class);
                    while (got.size() < 2 && System.currentTimeMillis() < deadline) {
                        PGNotification[] ns = pgc.getNotifications(500);
                        if (ns != null) for (PGNotification n : ns) {
                            eq(chan, n.getName(), "channel");
                            got.add(n.getParameter());
                        }
                    }
                    eq(List.of("payload 1", "payload 2"), got, "payloads");
                }
            });
        } else {
            skip("LISTEN/NOTIFY", "needs session pooling, ARTICDBM_POOL_MODE=" + POOL_MODE);
        }

        // (9) TLS
        if (!SSLROOTCERT.isEmpty()) {
            test("TLS verify-full", () -> {
                String params = "ssl=true&sslmode=verify-full&sslrootcert=" + SSLROOTCERT;
                // The host in the URL is the name verified against the certificate.
                try (Connection c = connectTo(SSLHOST, params)) {
                    Socket sock = socketOf(c);
                    if (sock != null) check(sock instanceof SSLSocket, "socket is " + sock.getClass());
                    // (without the socket, success under verify-full already implies TLS)
                    eq(42, one(c, "SELECT 21 * 2"), "query over TLS");
                }
            });
        } else {
            skip("TLS verify-full", "PGSSLROOTCERT not set");
        }

        watchdog.interrupt();
        System.out.println();
        if (!failures.isEmpty()) System.out.println("failed: " + String.join("; ", failures));
        System.out.println(passed + " passed, " + failed + " failed, " + skipped + " skipped");
        System.exit(failed == 0 ? 0 : 1);
    }

    /** The connection's socket via reflection on pgjdbc internals, or null. */
    static Socket socketOf(Connection c) {
        try {
            Object exec = c.unwrap(org.postgresql.core.BaseConnection.class).getQueryExecutor();
            for (Class<?> k = exec.getClass(); k != null; k = k.getSuperclass()) {
                for (Field f : k.getDeclaredFields()) {
                    if (f.getType().getName().equals("org.postgresql.core.PGStream")) {
                        f.setAccessible(true);
                        Object stream = f.get(exec);
                        return (Socket) stream.getClass().getMethod("getSocket").invoke(stream);
                    }
                }
            }
        } catch (Exception e) {
            System.out.println("  (could not inspect the socket: " + e + ")");
        }
        return null;
    }
}
