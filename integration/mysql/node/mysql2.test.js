// mysql2 suite against MYSQL_HOST/PORT/USER/PASSWORD/DATABASE (MYSQL_SSL=1 + MYSQL_SSL_CA for TLS).
// query() = text protocol, execute() = server-side prepared statements (binary protocol).
'use strict';
const test = require('node:test');
const assert = require('node:assert');
const crypto = require('node:crypto');
const fs = require('node:fs');
const mysql = require('mysql2/promise');

const env = process.env;
const cfg = {
  host: env.MYSQL_HOST || '127.0.0.1',
  port: Number(env.MYSQL_PORT || 3306),
  user: env.MYSQL_USER || 'root',
  password: env.MYSQL_PASSWORD || '',
  database: env.MYSQL_DATABASE || 'articdbm_it',
  multipleStatements: true,
  dateStrings: true, // compare temporal values as the server's text, no JS Date time-zone games
  supportBigNumbers: true,
  bigNumberStrings: true,
  decimalNumbers: false,
  connectTimeout: 10000,
};
if (env.MYSQL_SSL === '1') {
  cfg.ssl = env.MYSQL_SSL_CA ? { ca: fs.readFileSync(env.MYSQL_SSL_CA), rejectUnauthorized: true }
    : { rejectUnauthorized: false };
}
const connect = () => mysql.createConnection(cfg);
const tname = (t) => `it_mysql2_${t}_${crypto.randomBytes(3).toString('hex')}`;

async function withTable(name, ddl, fn) {
  const c = await connect();
  const t = tname(name);
  try {
    await c.query(ddl.replace('%T', t));
    await fn(c, t);
  } finally {
    await c.end().catch(() => {});
    const d = await connect();
    await d.query(`DROP TABLE IF EXISTS \`${t}\``);
    await d.end();
  }
}

test('transactions: commit and rollback', () => withTable('tx', 'CREATE TABLE `%T` (id INT PRIMARY KEY, v VARCHAR(20))', async (c, t) => {
  await c.beginTransaction();
  await c.execute(`INSERT INTO \`${t}\` VALUES (?, ?)`, [1, 'kept']);
  await c.commit();
  await c.beginTransaction();
  await c.execute(`INSERT INTO \`${t}\` VALUES (?, ?)`, [2, 'gone']);
  const [[inTx]] = await c.query(`SELECT COUNT(*) AS n FROM \`${t}\``);
  assert.strictEqual(String(inTx.n), '2');
  await c.rollback();
  const [rows] = await c.query(`SELECT id, v FROM \`${t}\` ORDER BY id`);
  assert.deepStrictEqual(rows.map((r) => [r.id, r.v]), [[1, 'kept']]);
}));

test('prepared statements reused across 50 transactions and autocommit (binary protocol)', () => withTable('prep', 'CREATE TABLE `%T` (id INT PRIMARY KEY, v BIGINT, s VARCHAR(40))', async (c, t) => {
  const ins = `INSERT INTO \`${t}\` (id, v, s) VALUES (?, ?, ?)`;
  const sel = `SELECT v, s FROM \`${t}\` WHERE id = ?`;
  for (let i = 0; i < 50; i++) {
    await c.beginTransaction();
    await c.execute(ins, [i, i * 1000, `row ${i}`]);
    const [[r]] = await c.execute(sel, [i]);
    assert.deepStrictEqual([String(r.v), r.s], [String(i * 1000), `row ${i}`]);
    if (i % 2 === 0) await c.commit(); else await c.rollback();
  }
  for (let i = 100; i < 110; i++) await c.execute(ins, [i, -i, null]);
  const [[n]] = await c.execute(`SELECT COUNT(*) AS n, SUM(s IS NULL) AS nulls FROM \`${t}\``);
  assert.deepStrictEqual([String(n.n), String(n.nulls)], ['35', '10']);
  // an explicitly prepared statement object, executed many times, then closed
  const stmt = await c.prepare(sel);
  for (let i = 0; i < 50; i += 2) {
    const [[r]] = await stmt.execute([i]);
    assert.strictEqual(r.s, `row ${i}`);
  }
  stmt.close();
}));

test('multi-statements and multiple result sets', async () => {
  const c = await connect();
  try {
    const [sets] = await c.query("SELECT 1 AS a; SELECT 'two' AS b, NULL AS c; DO 0; SELECT 3 AS d");
    assert.deepStrictEqual(sets[0], [{ a: 1 }]);
    assert.deepStrictEqual(sets[1], [{ b: 'two', c: null }]);
    assert.deepStrictEqual(sets[3], [{ d: 3 }]);
    await assert.rejects(c.query('SELECT 1; SELECT * FROM it_no_such_table_xyz; SELECT 3'), (e) => e.errno === 1146);
    const [[r]] = await c.query('SELECT 42 AS x');
    assert.strictEqual(r.x, 42);
  } finally { await c.end(); }
});

test('large result: 100,000 rows of 200 bytes, text and binary protocol', async () => {
  const c = await connect();
  const d = '(SELECT 0 d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9)';
  const sql = `SELECT 1 + a.d + 10*b.d + 100*c.d + 1000*e.d + 10000*f.d AS n, REPEAT('x', 200) AS s FROM ${d} a, ${d} b, ${d} c, ${d} e, ${d} f`;
  try {
    for (const how of ['query', 'execute']) {
      const [rows] = await c[how](sql);
      assert.strictEqual(rows.length, 100000, how);
      assert.strictEqual(rows.reduce((s, r) => s + Number(r.n), 0), 100000 * 100001 / 2, how);
    }
  } finally { await c.end(); }
});

test('BLOB over 16 MiB both ways, text and binary protocol', () => withTable('blob', 'CREATE TABLE `%T` (id INT PRIMARY KEY, b LONGBLOB)', async (c, t) => {
  const [[mp]] = await c.query('SELECT @@max_allowed_packet AS m');
  assert.ok(Number(mp.m) >= 64 * 1024 * 1024, `server max_allowed_packet=${mp.m} < 64M: SET GLOBAL max_allowed_packet=67108864`);
  const blob = crypto.randomBytes(20 * 1024 * 1024 + 7);
  const sha = crypto.createHash('sha256').update(blob).digest('hex');
  await c.execute(`INSERT INTO \`${t}\` VALUES (?, ?)`, [1, blob]);
  await c.query(`INSERT INTO \`${t}\` VALUES (?, ?)`, [2, blob]);
  const [rows] = await c.execute(`SELECT id, LENGTH(b) AS n, SHA2(b, 256) AS h FROM \`${t}\` ORDER BY id`);
  assert.deepStrictEqual(rows.map((r) => [r.id, String(r.n), r.h]), [[1, String(blob.length), sha], [2, String(blob.length), sha]]);
  const [[bin]] = await c.execute(`SELECT b FROM \`${t}\` WHERE id = ?`, [1]);
  assert.ok(Buffer.compare(bin.b, blob) === 0, 'binary protocol read differs');
  const [[txt]] = await c.query(`SELECT b FROM \`${t}\` WHERE id = 2`);
  assert.ok(Buffer.compare(txt.b, blob) === 0, 'text protocol read differs');
}));

test('NULLs', async () => {
  const c = await connect();
  try {
    const [[r]] = await c.execute('SELECT ? AS a, NULL AS b, ? IS NULL AS c, CAST(NULL AS DATETIME(6)) AS d', [null, null]);
    assert.deepStrictEqual([r.a, r.b, Number(r.c), r.d], [null, null, 1, null]);
    const [[q]] = await c.query('SELECT NULL AS a, CAST(NULL AS DECIMAL(30,10)) AS b');
    assert.deepStrictEqual([q.a, q.b], [null, null]);
  } finally { await c.end(); }
});

const TEMPORAL = [
  ['2024-02-29', '2024-02-29 23:59:59.999999', '2038-01-19 03:14:07.999999', '-838:59:59.000000', 1901, '-12345678901234567890.0123456789'],
  ['1000-01-01', '1000-01-01 00:00:00.000001', '1970-01-01 00:00:01.000001', '-00:00:01.500000', 2155, '0.0000000001'],
  ['9999-12-31', '9999-12-31 23:59:59.000000', '2024-06-30 12:00:00.000000', '838:59:59.000000', 2024, '99999999999999999999.9999999999'],
  ['2000-01-01', '2000-01-01 00:00:00.000000', '2000-01-01 00:00:00.123456', '12:34:56.789012', 1970, '-0.5000000000'],
];

test('temporal and decimal types round-trip (text and binary)', () => withTable('types', 'CREATE TABLE `%T` (id INT PRIMARY KEY, d DATE, dtm DATETIME(6), ts TIMESTAMP(6) NULL, tm TIME(6), y YEAR, n DECIMAL(30,10))', async (c, t) => {
  await c.query("SET time_zone = '+00:00'");
  for (const [i, row] of TEMPORAL.entries()) {
    await c.query(`INSERT INTO \`${t}\` VALUES (?, ?, ?, ?, ?, ?, ?)`, [i, ...row]);
    await c.execute(`INSERT INTO \`${t}\` VALUES (?, ?, ?, ?, ?, ?, ?)`, [100 + i, ...row]);
  }
  const sql = `SELECT id, d, dtm, ts, tm, y, n FROM \`${t}\` ORDER BY id`;
  for (const how of ['query', 'execute']) {
    const [rows] = await c[how](sql);
    assert.strictEqual(rows.length, 8);
    for (const r of rows) {
      const w = TEMPORAL[r.id % 100];
      // mysql2 prints binary-protocol times with trailing fraction zeros cut: compare with 6 digits
      const us6 = (v) => (v.includes('.') ? v.replace(/\.(\d+)$/, (_, f) => `.${f.padEnd(6, '0')}`) : `${v}.000000`);
      assert.deepStrictEqual([r.d, us6(r.dtm), us6(r.ts), us6(r.tm), Number(r.y), r.n], w, `${how} id ${r.id}`);
    }
  }
  const [[k]] = await c.execute(`SELECT COUNT(*) AS k FROM \`${t}\` WHERE tm = ? AND n = ?`, ['-00:00:01.500000', '0.0000000001']);
  assert.strictEqual(String(k.k), '2');
}));

test('errors then recovery on the same connection (1062, 1064)', () => withTable('err', 'CREATE TABLE `%T` (id INT PRIMARY KEY)', async (c, t) => {
  await c.execute(`INSERT INTO \`${t}\` VALUES (?)`, [1]);
  await assert.rejects(c.execute(`INSERT INTO \`${t}\` VALUES (?)`, [1]), (e) => e.errno === 1062 && e.sqlState === '23000');
  await assert.rejects(c.query('SELEC 1'), (e) => e.errno === 1064 && e.sqlState === '42000');
  await assert.rejects(c.execute('SELEC ?', [1]), (e) => e.errno === 1064);
  await c.beginTransaction();
  await c.execute(`INSERT INTO \`${t}\` VALUES (?)`, [2]);
  await assert.rejects(c.execute(`INSERT INTO \`${t}\` VALUES (?)`, [2]), (e) => e.errno === 1062);
  await c.execute(`INSERT INTO \`${t}\` VALUES (?)`, [3]);
  await c.commit();
  const [rows] = await c.execute(`SELECT id FROM \`${t}\` ORDER BY id`);
  assert.deepStrictEqual(rows.map((r) => r.id), [1, 2, 3]);
}));

test('KILL QUERY of SELECT SLEEP(10) from a second connection', async () => {
  const a = await connect();
  const b = await connect();
  try {
    const [[{ id }]] = await a.query('SELECT CONNECTION_ID() AS id');
    const t0 = Date.now();
    const p = a.query('SELECT SLEEP(10) AS s').then(([[r]]) => ({ r }), (e) => ({ e }));
    await new Promise((res) => setTimeout(res, 1000));
    await b.query(`KILL QUERY ${id}`);
    const out = await p;
    const secs = (Date.now() - t0) / 1000;
    assert.ok(secs < 5, `SLEEP(10) took ${secs}s after KILL QUERY`);
    if (out.e) assert.strictEqual(out.e.errno, 1317, String(out.e));
    else assert.strictEqual(Number(out.r.s), 1);
    const [[r]] = await a.query('SELECT 3 AS x');
    assert.strictEqual(r.x, 3);
  } finally { await a.end(); await b.end(); }
});

test('TLS', { skip: env.MYSQL_SSL !== '1' && 'MYSQL_SSL is not 1' }, async () => {
  const c = await connect();
  try {
    const [[r]] = await c.query("SHOW SESSION STATUS LIKE 'Ssl_cipher'");
    assert.ok(r.Value, 'connected without TLS');
  } finally { await c.end(); }
});
