// node-postgres (pg) against PostgreSQL or the ArticDBM proxy.
// Run with ./run.sh (node --test). Settings from PGHOST, PGPORT, PGUSER,
// PGPASSWORD, PGDATABASE; ARTICDBM_POOL_MODE gates LISTEN/NOTIFY;
// PGSSLROOTCERT (+ PGSSLHOST) enables the TLS verify-full test.
'use strict'

const { test } = require('node:test')
const assert = require('node:assert/strict')
const crypto = require('node:crypto')
const fs = require('node:fs')
const { Readable, Writable } = require('node:stream')
const { pipeline } = require('node:stream/promises')
const tls = require('node:tls')
const pg = require('pg')
const Cursor = require('pg-cursor')
const copyStreams = require('pg-copy-streams')

const env = process.env
const BASE = {
  host: env.PGHOST || '127.0.0.1',
  port: Number(env.PGPORT || 5432),
  user: env.PGUSER || 'postgres',
  database: env.PGDATABASE || 'test',
  connectionTimeoutMillis: 10000,
  ssl: false,
}
if (env.PGPASSWORD) BASE.password = env.PGPASSWORD
const POOL_MODE = env.ARTICDBM_POOL_MODE || ''
const SESSION_ONLY = POOL_MODE === '' || POOL_MODE === 'session'
const SSLROOTCERT = env.PGSSLROOTCERT || ''
const SSLHOST = env.PGSSLHOST || 'localhost'

const BIG_ROWS = 100000
const BIG_WIDTH = 1000
const BIG_SQL = `SELECT repeat('x', ${BIG_WIDTH}) FROM generate_series(1, ${BIG_ROWS})`
const COPY_ROWS = 10000
const T = { timeout: 60000 }

function uniqueName(prefix) {
  return `it_node_${prefix}_${crypto.randomBytes(5).toString('hex')}`
}

async function connect(extra = {}) {
  const client = new pg.Client({ ...BASE, ...extra })
  client.on('error', () => {}) // errors surface through the awaited calls
  await client.connect()
  return client
}

// Runs fn(client, tableName) with a fresh client and a unique table name;
// always closes the client and drops the table (over a fresh connection).
async function withTable(prefix, fn) {
  const name = uniqueName(prefix)
  const client = await connect()
  try {
    await fn(client, name)
  } finally {
    await client.end().catch(() => {})
    const c = await connect()
    try {
      await c.query(`DROP TABLE IF EXISTS ${name}`)
    } finally {
      await c.end()
    }
  }
}

async function withClient(fn) {
  const client = await connect()
  try {
    await fn(client)
  } finally {
    await client.end().catch(() => {})
  }
}

// (1) transactions -----------------------------------------------------------

test('commit and rollback', T, () =>
  withTable('tx', async (c, t) => {
    await c.query(`CREATE TABLE ${t} (id int PRIMARY KEY, v text)`)
    await c.query('BEGIN')
    await c.query(`INSERT INTO ${t} VALUES ($1, $2)`, [1, 'kept'])
    await c.query('COMMIT')
    await c.query('BEGIN')
    await c.query(`INSERT INTO ${t} VALUES ($1, $2)`, [2, 'rolled back'])
    await c.query('ROLLBACK')
    await c.query(`INSERT INTO ${t} VALUES (3, 'autocommit')`)
    const other = await connect()
    try {
      const r = await other.query({ text: `SELECT id FROM ${t} ORDER BY id`, rowMode: 'array' })
      assert.deepEqual(r.rows, [[1], [3]])
    } finally {
      await other.end()
    }
  }))

// (2) prepared statements reused ------------------------------------------------

test('named prepared statements across 50 transactions and autocommit', T, () =>
  withTable('prep', async (c, t) => {
    await c.query(`CREATE TABLE ${t} (id int PRIMARY KEY, v text)`)
    const ins = (i) => ({ name: 'ins', text: `INSERT INTO ${t} (id, v) VALUES ($1, $2)`, values: [i, `row ${i}`] })
    const sel = (i) => ({ name: 'sel', text: `SELECT v FROM ${t} WHERE id = $1`, values: [i] })
    for (let i = 0; i < 50; i++) {
      await c.query('BEGIN')
      await c.query(ins(i))
      const r = await c.query(sel(i))
      assert.equal(r.rows[0].v, `row ${i}`)
      await c.query('COMMIT')
    }
    for (let i = 50; i < 100; i++) {
      await c.query(ins(i))
      assert.equal((await c.query(sel(i))).rows[0].v, `row ${i}`)
    }
    assert.equal((await c.query(`SELECT count(*)::int AS n FROM ${t}`)).rows[0].n, 100)
    // pg parsed each named statement once on this connection
    assert.ok(c.connection.parsedStatements.ins && c.connection.parsedStatements.sel)
  }))

test('same statement names with different SQL on several clients', T, async () => {
  const clients = await Promise.all([0, 1, 2, 3].map(() => connect()))
  try {
    for (let i = 0; i < 50; i++) {
      const results = await Promise.all(
        clients.map(async (c, n) => {
          const q = { name: 'q1', text: `SELECT $1::int + ${n} AS v`, values: [i] }
          if (i % 2) {
            await c.query('BEGIN')
            const r = await c.query(q)
            await c.query('COMMIT')
            return r.rows[0].v
          }
          return (await c.query(q)).rows[0].v
        })
      )
      assert.deepEqual(results, [i, i + 1, i + 2, i + 3])
    }
  } finally {
    await Promise.all(clients.map((c) => c.end()))
  }
})

// (3) COPY (pg-copy-streams) ------------------------------------------------------

test('COPY FROM STDIN and COPY TO STDOUT round trip', T, () =>
  withTable('copy', async (c, t) => {
    await c.query(`CREATE TABLE ${t} (id int, name text, note text)`)
    function* lines() {
      for (let i = 0; i < COPY_ROWS; i++) {
        yield `${i}\tname\\t${i}\t${i % 7 === 0 ? '\\N' : 'é✓'}\n`
      }
    }
    const expected = Array.from(lines()).join('')
    const ingest = c.query(copyStreams.from(`COPY ${t} (id, name, note) FROM STDIN`))
    await pipeline(Readable.from(lines()), ingest)
    assert.equal(ingest.rowCount, COPY_ROWS)

    const chunks = []
    const out = c.query(copyStreams.to(`COPY (SELECT * FROM ${t} ORDER BY id) TO STDOUT`))
    await pipeline(
      out,
      new Writable({
        write(chunk, _enc, cb) {
          chunks.push(chunk)
          cb()
        },
      })
    )
    const text = Buffer.concat(chunks).toString('utf8')
    assert.equal(text.length, expected.length)
    assert.equal(text, expected)
    assert.equal(out.rowCount, COPY_ROWS)
    assert.equal((await c.query('SELECT 1 AS one')).rows[0].one, 1)
  }))

// (4) large result sets -------------------------------------------------------------

test('100 MB result through pg-cursor', T, () =>
  withClient(async (c) => {
    const cursor = c.query(new Cursor(BIG_SQL, [], { rowMode: 'array' }))
    let rows = 0
    let bytes = 0
    for (;;) {
      const batch = await cursor.read(2000)
      if (batch.length === 0) break
      for (const r of batch) bytes += r[0].length
      rows += batch.length
    }
    await cursor.close()
    assert.equal(rows, BIG_ROWS)
    assert.equal(bytes, BIG_ROWS * BIG_WIDTH)
    assert.equal((await c.query('SELECT 2 AS two')).rows[0].two, 2)
  }))

test('100 MB result fetched whole (simple protocol)', T, () =>
  withClient(async (c) => {
    const r = await c.query({ text: BIG_SQL, rowMode: 'array' })
    assert.equal(r.rows.length, BIG_ROWS)
    let bytes = 0
    for (const row of r.rows) bytes += row[0].length
    assert.equal(bytes, BIG_ROWS * BIG_WIDTH)
  }))

// (5) NULLs, types, binary ---------------------------------------------------------

test('types, NULLs and bytea round trip', T, () =>
  withTable('types', async (c, t) => {
    const payload = Buffer.concat([crypto.randomBytes(100000), Buffer.from([...Array(256).keys()])])
    const ts = new Date('2024-02-29T23:59:58.123Z')
    await c.query(
      `CREATE TABLE ${t} (i int, bi bigint, f float8, n numeric, ts timestamptz, b bool,
                          t text, by bytea, nul int, arr int[])`
    )
    // Buffer parameters travel in binary format.
    await c.query(`INSERT INTO ${t} VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, [
      42, '-4611686018427387904', 3.5, '12345678901234567890.0123456789', ts, true, 'héllo ☃', payload, null, [1, null, 3],
    ])
    await c.query(`INSERT INTO ${t} (i) VALUES (NULL)`)
    const r = await c.query(`SELECT * FROM ${t} ORDER BY i NULLS LAST`)
    const row = r.rows[0]
    assert.equal(row.i, 42)
    assert.equal(row.bi, '-4611686018427387904')
    assert.equal(row.f, 3.5)
    assert.equal(row.n, '12345678901234567890.0123456789')
    assert.equal(row.ts.getTime(), ts.getTime())
    assert.equal(row.b, true)
    assert.equal(row.t, 'héllo ☃')
    assert.ok(payload.equals(row.by))
    assert.equal(row.nul, null)
    assert.deepEqual(row.arr, [1, null, 3])
    assert.ok(Object.values(r.rows[1]).every((v) => v === null))

    // Results in binary format. pg decodes every DataRow field through a utf8
    // string, so binary values with bytes >= 0x80 (bytea, timestamps, negative
    // numbers) come back mangled: only values whose encodings are ASCII-safe
    // are checked here; bytea and timestamps are checked in text format above.
    const b = await c.query({
      text: `SELECT i, f, b, t, nul, $1::int4 AS p FROM ${t} ORDER BY i NULLS LAST`,
      values: [7],
      binary: true,
    })
    assert.ok(b.fields.every((f) => f.format === 'binary'))
    assert.equal(b.rows[0].i, 42)
    assert.equal(b.rows[0].f, 3.5)
    assert.equal(b.rows[0].b, true)
    assert.equal(b.rows[0].t, 'héllo ☃')
    assert.equal(b.rows[0].nul, null)
    assert.equal(b.rows[0].p, 7)
    assert.equal(b.rows[1].i, null)
  }))

// (6) errors -----------------------------------------------------------------------

test('error inside a transaction, ROLLBACK, connection usable', T, () =>
  withClient(async (c) => {
    await c.query('BEGIN')
    await assert.rejects(c.query('SELECT 1 / $1::int', [0]), { code: '22012' })
    await assert.rejects(c.query('SELECT 2'), { code: '25P02' })
    await c.query('ROLLBACK')
    assert.equal((await c.query('SELECT 3 AS v')).rows[0].v, 3)
  }))

test('error outside a transaction, next query succeeds', T, () =>
  withClient(async (c) => {
    await assert.rejects(c.query('SELECT * FROM it_no_such_table_xyz'), { code: '42P01' })
    assert.equal((await c.query("SELECT 'ok' AS v")).rows[0].v, 'ok')
    await assert.rejects(c.query({ name: 'bad', text: 'SELECT $1::int', values: ['x'] }), { code: '22P02' })
    await assert.rejects(c.query('SELEC 1'), { code: '42601' })
    assert.equal((await c.query('SELECT $1::int + 1 AS v', [1])).rows[0].v, 2)
  }))

// (7) cancel: a real protocol CancelRequest ------------------------------------------
// pg has no public cancel API. Like pg's own Client#cancel, open a second
// pg Connection (plain TCP) and send CancelRequest(pid, secret key) on it.

function sendCancel(target) {
  const con = new pg.Client({ ...BASE, ssl: false }).connection
  con.on('error', () => {})
  con.once('connect', () => con.cancel(target.processID, target.secretKey))
  con.connect(BASE.port, BASE.host)
}

test('cancel pg_sleep(10) with a CancelRequest', T, () =>
  withClient(async (c) => {
    await c.query('SELECT 1')
    assert.ok(c.processID !== null && c.secretKey !== null, 'BackendKeyData received')
    const q = new pg.Query('SELECT pg_sleep(10)')
    const result = new Promise((resolve, reject) => {
      q.on('end', resolve)
      q.on('error', reject)
    })
    c.query(q)
    await new Promise((r) => setTimeout(r, 500))
    const start = Date.now()
    sendCancel(c)
    await assert.rejects(result, { code: '57014' })
    const elapsed = Date.now() - start
    assert.ok(elapsed < 2000, `cancel took ${elapsed} ms`)
    assert.equal((await c.query("SELECT 'alive' AS v")).rows[0].v, 'alive')
  }))

// (8) LISTEN / NOTIFY ----------------------------------------------------------------

test('LISTEN/NOTIFY', { ...T, skip: SESSION_ONLY ? false : `needs session pooling (ARTICDBM_POOL_MODE=${POOL_MODE})` }, async () => {
  const channel = uniqueName('chan')
  const listener = await connect()
  const sender = await connect()
  try {
    const got = []
    const two = new Promise((resolve) => {
      listener.on('notification', (n) => {
        got.push([n.channel, n.payload])
        if (got.length === 2) resolve()
      })
    })
    await listener.query(`LISTEN ${channel}`)
    await sender.query('SELECT pg_notify($1, $2)', [channel, 'payload 1'])
    await sender.query(`NOTIFY ${channel}, 'payload 2'`)
    let timer
    await Promise.race([two, new Promise((_, rej) => (timer = setTimeout(() => rej(new Error('no notification')), 10000)))])
    clearTimeout(timer)
    assert.deepEqual(got, [[channel, 'payload 1'], [channel, 'payload 2']])
  } finally {
    await listener.end()
    await sender.end()
  }
})

// (9) TLS verify-full ---------------------------------------------------------------------

test('TLS verify-full', { ...T, skip: SSLROOTCERT ? false : 'PGSSLROOTCERT not set' }, async () => {
  const c = await connect({
    ssl: { ca: fs.readFileSync(SSLROOTCERT), rejectUnauthorized: true, servername: SSLHOST },
  })
  try {
    assert.ok(c.connection.stream instanceof tls.TLSSocket)
    assert.ok(c.connection.stream.encrypted && c.connection.stream.authorized)
    assert.equal((await c.query('SELECT $1::int * 2 AS v', [21])).rows[0].v, 42)
  } finally {
    await c.end()
  }
  // The wrong name must be rejected.
  await assert.rejects(
    connect({ ssl: { ca: fs.readFileSync(SSLROOTCERT), rejectUnauthorized: true, servername: 'wrong-name.invalid' } })
  )
})
