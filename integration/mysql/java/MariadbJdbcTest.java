// MariaDB Connector/J (Debian's libmariadb-java) suite with useServerPrepStmts=true (binary protocol),
// against MYSQL_HOST/PORT/USER/PASSWORD/DATABASE; MYSQL_SSL=1 + MYSQL_SSL_CA for TLS.
// Prints PASS/FAIL per case and "N passed, N failed, N skipped"; exit 1 on any failure.
import java.math.BigDecimal;
import java.security.MessageDigest;
import java.sql.*;
import java.util.*;
import java.util.concurrent.*;

public class MariadbJdbcTest {
    static final Map<String, String> E = System.getenv();
    static String env(String k, String d) { String v = E.get(k); return v == null || v.isEmpty() ? d : v; }
    static final String DB = env("MYSQL_DATABASE", "articdbm_it");
    static final boolean SSL = "1".equals(env("MYSQL_SSL", "0"));

    static Connection connect() throws SQLException {
        String url = "jdbc:mariadb://" + env("MYSQL_HOST", "127.0.0.1") + ":" + env("MYSQL_PORT", "3306") + "/" + DB
            + "?useServerPrepStmts=true&allowMultiQueries=true&connectTimeout=10000&socketTimeout=60000";
        if (SSL) {
            url += "&useSsl=true";
            String ca = E.get("MYSQL_SSL_CA");
            url += ca != null && !ca.isEmpty() ? "&serverSslCert=" + ca : "&trustServerCertificate=true";
        }
        return DriverManager.getConnection(url, env("MYSQL_USER", "root"), env("MYSQL_PASSWORD", ""));
    }

    static void check(boolean ok, String msg) { if (!ok) throw new AssertionError(msg); }
    static void eq(Object a, Object b, String what) { check(Objects.equals(a, b), what + ": got " + a + ", want " + b); }
    static String table(String n) { return "it_jdbc_" + n + "_" + Long.toHexString(new Random().nextInt(1 << 24)); }
    static void drop(String t) throws SQLException { try (Connection c = connect(); Statement s = c.createStatement()) { s.execute("DROP TABLE IF EXISTS `" + t + "`"); } }
    static long one(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet r = s.executeQuery(sql)) { r.next(); return r.getLong(1); }
    }
    static int errno(Runnable r) {
        try { r.run(); } catch (RuntimeException e) { if (e.getCause() instanceof SQLException) return ((SQLException) e.getCause()).getErrorCode(); throw e; }
        return 0;
    }
    interface Sql { void run() throws SQLException; }
    static Runnable sql(Sql s) { return () -> { try { s.run(); } catch (SQLException e) { throw new RuntimeException(e); } }; }

    static void transactions() throws Exception {
        String t = table("tx");
        try (Connection c = connect(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE `" + t + "` (id INT PRIMARY KEY, v VARCHAR(20))");
            c.setAutoCommit(false);
            try (PreparedStatement p = c.prepareStatement("INSERT INTO `" + t + "` VALUES (?, ?)")) {
                p.setInt(1, 1); p.setString(2, "kept"); p.executeUpdate(); c.commit();
                p.setInt(1, 2); p.setString(2, "gone"); p.executeUpdate();
                eq(one(c, "SELECT COUNT(*) FROM `" + t + "`"), 2L, "in tx");
                c.rollback();
            }
            eq(one(c, "SELECT COUNT(*) FROM `" + t + "`"), 1L, "after rollback");
        } finally { drop(t); }
    }

    static void preparedReuse() throws Exception {
        String t = table("prep");
        try (Connection c = connect(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE `" + t + "` (id INT PRIMARY KEY, v BIGINT, s VARCHAR(40))");
            c.setAutoCommit(false);
            try (PreparedStatement ins = c.prepareStatement("INSERT INTO `" + t + "` VALUES (?, ?, ?)");
                 PreparedStatement sel = c.prepareStatement("SELECT v, s FROM `" + t + "` WHERE id = ?")) {
                for (int i = 0; i < 50; i++) {
                    ins.setInt(1, i); ins.setLong(2, i * 1000L); ins.setString(3, "row " + i); ins.executeUpdate();
                    sel.setInt(1, i);
                    try (ResultSet r = sel.executeQuery()) { check(r.next(), "row"); eq(r.getLong(1), i * 1000L, "v"); eq(r.getString(2), "row " + i, "s"); }
                    if (i % 2 == 0) c.commit(); else c.rollback();
                }
                c.setAutoCommit(true);
                for (int i = 100; i < 110; i++) { ins.setInt(1, i); ins.setLong(2, -i); ins.setNull(3, Types.VARCHAR); ins.executeUpdate(); }
            }
            eq(one(c, "SELECT COUNT(*) FROM `" + t + "`"), 35L, "count");
            eq(one(c, "SELECT SUM(s IS NULL) FROM `" + t + "`"), 10L, "nulls");
        } finally { drop(t); }
    }

    static void multiStatements() throws Exception {
        try (Connection c = connect(); Statement s = c.createStatement()) {
            check(s.execute("SELECT 1; SELECT 'two', NULL; DO 0; SELECT 3"), "first is a result set");
            try (ResultSet r = s.getResultSet()) { r.next(); eq(r.getInt(1), 1, "set 1"); }
            check(s.getMoreResults(), "second set");
            try (ResultSet r = s.getResultSet()) { r.next(); eq(r.getString(1), "two", "set 2"); check(r.getString(2) == null, "null"); }
            check(!s.getMoreResults(), "DO is an update count");
            check(s.getMoreResults(), "fourth set");
            try (ResultSet r = s.getResultSet()) { r.next(); eq(r.getInt(1), 3, "set 4"); }
            eq(errno(sql(() -> { s.execute("SELECT 1; SELECT * FROM it_no_such_table_xyz; SELECT 3"); while (s.getMoreResults() || s.getUpdateCount() != -1) { } })), 1146, "error in 2nd");
            eq(one(c, "SELECT 42"), 42L, "recovered");
        }
    }

    static final String DIGITS = "(SELECT 0 d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9)";

    static void largeResult() throws Exception {
        String q = "SELECT 1 + a.d + 10*b.d + 100*c.d + 1000*e.d + 10000*f.d, REPEAT('x', 200) FROM "
            + DIGITS + " a, " + DIGITS + " b, " + DIGITS + " c, " + DIGITS + " e, " + DIGITS + " f WHERE ? = 1";
        try (Connection c = connect(); PreparedStatement p = c.prepareStatement(q)) {
            p.setInt(1, 1);
            long n = 0, sum = 0;
            try (ResultSet r = p.executeQuery()) { while (r.next()) { n++; sum += r.getLong(1); eq(r.getString(2).length(), 200, "len"); } }
            eq(n, 100000L, "rows"); eq(sum, 100000L * 100001L / 2, "sum");
        }
    }

    static void blob() throws Exception {
        String t = table("blob");
        try (Connection c = connect(); Statement s = c.createStatement()) {
            long mp = one(c, "SELECT @@max_allowed_packet");
            check(mp >= 64L << 20, "server max_allowed_packet=" + mp + " < 64M: SET GLOBAL max_allowed_packet=67108864");
            s.execute("CREATE TABLE `" + t + "` (id INT PRIMARY KEY, b LONGBLOB)");
            byte[] blob = new byte[20 * 1024 * 1024 + 7];
            new Random(42).nextBytes(blob);
            try (PreparedStatement p = c.prepareStatement("INSERT INTO `" + t + "` VALUES (?, ?)")) { p.setInt(1, 1); p.setBytes(2, blob); p.executeUpdate(); }
            String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(blob));
            try (PreparedStatement p = c.prepareStatement("SELECT LENGTH(b), SHA2(b, 256), b FROM `" + t + "` WHERE id = ?")) {
                p.setInt(1, 1);
                try (ResultSet r = p.executeQuery()) {
                    check(r.next(), "row"); eq(r.getLong(1), (long) blob.length, "length"); eq(r.getString(2), sha, "sha");
                    check(Arrays.equals(r.getBytes(3), blob), "bytes differ");
                }
            }
        } finally { drop(t); }
    }

    static void nulls() throws Exception {
        try (Connection c = connect(); PreparedStatement p = c.prepareStatement("SELECT ?, ? IS NULL, CAST(NULL AS DATETIME(6)), CAST(NULL AS DECIMAL(30,10))")) {
            p.setNull(1, Types.INTEGER); p.setNull(2, Types.VARCHAR);
            try (ResultSet r = p.executeQuery()) {
                r.next(); r.getInt(1); check(r.wasNull(), "1"); eq(r.getInt(2), 1, "is null");
                check(r.getTimestamp(3) == null, "ts"); check(r.getBigDecimal(4) == null, "dec");
            }
        }
    }

    static final String[][] TEMPORAL = {
        {"2024-02-29", "2024-02-29 23:59:59.999999", "2038-01-19 03:14:07.999999", "-838:59:59.000000", "1901", "-12345678901234567890.0123456789"},
        {"1000-01-01", "1000-01-01 00:00:00.000001", "1970-01-01 00:00:01.000001", "-00:00:01.500000", "2155", "0.0000000001"},
        {"9999-12-31", "9999-12-31 23:59:59.000000", "2024-06-30 12:00:00.000000", "838:59:59.000000", "2024", "99999999999999999999.9999999999"},
        {"2000-01-01", "2000-01-01 00:00:00.000000", "2000-01-01 00:00:00.123456", "12:34:56.789012", "1970", "-0.5000000000"},
    };

    static void temporal() throws Exception {
        String t = table("types");
        try (Connection c = connect(); Statement s = c.createStatement()) {
            s.execute("SET time_zone = '+00:00'");
            s.execute("CREATE TABLE `" + t + "` (id INT PRIMARY KEY, d DATE, dtm DATETIME(6), ts TIMESTAMP(6) NULL, tm TIME(6), y YEAR, n DECIMAL(30,10))");
            try (PreparedStatement p = c.prepareStatement("INSERT INTO `" + t + "` VALUES (?, ?, ?, ?, ?, ?, ?)")) {
                for (int i = 0; i < TEMPORAL.length; i++) {
                    String[] w = TEMPORAL[i];
                    p.setInt(1, i); // typed binary parameters where Java has a type for them
                    p.setDate(2, java.sql.Date.valueOf(w[0]));
                    p.setTimestamp(3, Timestamp.valueOf(w[1]));
                    p.setString(4, w[2]);
                    p.setString(5, w[3]); // java.sql.Time cannot hold negative or >24h values
                    p.setShort(6, Short.parseShort(w[4]));
                    p.setBigDecimal(7, new BigDecimal(w[5]));
                    p.executeUpdate();
                }
            }
            try (PreparedStatement p = c.prepareStatement("SELECT id, d, dtm, ts, tm, y, n, CAST(tm AS CHAR), CAST(ts AS CHAR) FROM `" + t + "` WHERE id >= ? ORDER BY id")) {
                p.setInt(1, 0);
                try (ResultSet r = p.executeQuery()) {
                    int k = 0;
                    while (r.next()) {
                        String[] w = TEMPORAL[r.getInt(1)];
                        eq(r.getDate(2).toString(), w[0], "date");
                        eq(r.getTimestamp(3), Timestamp.valueOf(w[1]), "datetime");
                        eq(r.getString(9), w[2], "timestamp");
                        eq(r.getString(8), w[3], "time");
                        eq(r.getInt(6), Integer.parseInt(w[4]), "year");
                        eq(r.getBigDecimal(7), new BigDecimal(w[5]), "decimal");
                        k++;
                    }
                    eq(k, TEMPORAL.length, "rows");
                }
            }
        } finally { drop(t); }
    }

    static void errors() throws Exception {
        String t = table("err");
        try (Connection c = connect(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE `" + t + "` (id INT PRIMARY KEY)");
            try (PreparedStatement p = c.prepareStatement("INSERT INTO `" + t + "` VALUES (?)")) {
                p.setInt(1, 1); p.executeUpdate();
                eq(errno(sql(p::executeUpdate)), 1062, "dup key");
                eq(errno(sql(() -> s.execute("SELEC 1"))), 1064, "syntax");
                eq(one(c, "SELECT 2"), 2L, "recovered");
                c.setAutoCommit(false);
                p.setInt(1, 2); p.executeUpdate();
                eq(errno(sql(p::executeUpdate)), 1062, "dup in tx");
                p.setInt(1, 3); p.executeUpdate();
                c.commit();
            }
            eq(one(c, "SELECT COUNT(*) FROM `" + t + "`"), 3L, "rows");
        } finally { drop(t); }
    }

    static void killQuery() throws Exception {
        try (Connection a = connect(); Connection b = connect()) {
            long id = one(a, "SELECT CONNECTION_ID()");
            ExecutorService ex = Executors.newSingleThreadExecutor();
            long t0 = System.nanoTime();
            Future<Object> f = ex.submit(() -> { try { return one(a, "SELECT SLEEP(10)"); } catch (SQLException e) { return e; } });
            Thread.sleep(1000);
            try (Statement s = b.createStatement()) { s.execute("KILL QUERY " + id); }
            Object out = f.get(15, TimeUnit.SECONDS);
            ex.shutdown();
            double secs = (System.nanoTime() - t0) / 1e9;
            check(secs < 5, "SLEEP(10) took " + secs + "s after KILL QUERY");
            if (out instanceof SQLException) eq(((SQLException) out).getErrorCode(), 1317, "interrupted");
            else eq(out, 1L, "SLEEP result");
            eq(one(a, "SELECT 3"), 3L, "connection survives");
        }
    }

    static void tls() throws Exception {
        try (Connection c = connect(); Statement s = c.createStatement(); ResultSet r = s.executeQuery("SHOW SESSION STATUS LIKE 'Ssl_cipher'")) {
            check(r.next() && !r.getString(2).isEmpty(), "connected without TLS");
        }
    }

    interface Case { void run() throws Exception; }

    public static void main(String[] args) {
        LinkedHashMap<String, Case> cases = new LinkedHashMap<>();
        cases.put("transactions", MariadbJdbcTest::transactions);
        cases.put("prepared_reuse", MariadbJdbcTest::preparedReuse);
        cases.put("multi_statements", MariadbJdbcTest::multiStatements);
        cases.put("large_result", MariadbJdbcTest::largeResult);
        cases.put("blob_over_16mib", MariadbJdbcTest::blob);
        cases.put("nulls", MariadbJdbcTest::nulls);
        cases.put("temporal_decimal", MariadbJdbcTest::temporal);
        cases.put("errors_recovery", MariadbJdbcTest::errors);
        cases.put("kill_query", MariadbJdbcTest::killQuery);
        cases.put("tls", MariadbJdbcTest::tls);
        int pass = 0, fail = 0, skip = 0;
        for (Map.Entry<String, Case> e : cases.entrySet()) {
            if (args.length > 0 && !Arrays.asList(args).contains(e.getKey())) continue;
            if (e.getKey().equals("tls") && !SSL) { System.out.println("SKIP " + e.getKey() + " (MYSQL_SSL is not 1)"); skip++; continue; }
            long t0 = System.nanoTime();
            try {
                e.getValue().run();
                System.out.printf("PASS %s (%.1fs)%n", e.getKey(), (System.nanoTime() - t0) / 1e9); pass++;
            } catch (Throwable x) {
                System.out.printf("FAIL %s: %s%n", e.getKey(), x); fail++;
            }
        }
        System.out.println(pass + " passed, " + fail + " failed, " + skip + " skipped");
        System.exit(fail == 0 ? 0 : 1);
    }
}
