// Fetches rows of varied sizes over TLS, again and again, with node-postgres (pg) and
// pg-copy-streams from integration/node/node_modules.
//
//   node fetch_rows.js ITERATIONS
//
// Connection from PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE; TLS with the CA in
// PGSSLROOTCERT verified for the name PGSSLHOST (default localhost). Each iteration fetches 20 rows
// of 50-9,000 bytes with a plain SELECT and with COPY TO STDOUT and checks every length.
'use strict';
const path = require('node:path');
const fs = require('node:fs');
const nodeModules = path.join(__dirname, '..', 'node', 'node_modules');
const { Client } = require(path.join(nodeModules, 'pg'));
const { to: copyTo } = require(path.join(nodeModules, 'pg-copy-streams'));

function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function selectSql(sizes) {
  return `SELECT repeat('x', n) FROM unnest(ARRAY[${sizes.join(',')}]) WITH ORDINALITY AS t(n, i) ORDER BY i`;
}

async function copyLengths(client, sql) {
  const stream = client.query(copyTo(`COPY (${sql}) TO STDOUT`));
  const chunks = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks).toString().split('\n').slice(0, -1).map((l) => l.length);
}

async function main() {
  const iterations = Number(process.argv[2] || 50);
  const client = new Client({
    ssl: {
      ca: fs.readFileSync(process.env.PGSSLROOTCERT),
      servername: process.env.PGSSLHOST || 'localhost',
    },
    connectionTimeoutMillis: 10000,
  });
  await client.connect();
  if (!client.connection.stream.encrypted) throw new Error('node-postgres: not encrypted');
  const rand = rng(1);
  for (let i = 0; i < iterations; i++) {
    const sizes = Array.from({ length: 20 }, () => 50 + Math.floor(rand() * 8951));
    const sql = selectSql(sizes);
    const res = await client.query({ text: sql, rowMode: 'array' });
    const got = res.rows.map((r) => r[0].length);
    if (JSON.stringify(got) !== JSON.stringify(sizes)) {
      throw new Error(`iteration ${i}: SELECT gave ${got}, expected ${sizes}`);
    }
    const copied = await copyLengths(client, sql);
    if (JSON.stringify(copied) !== JSON.stringify(sizes)) {
      throw new Error(`iteration ${i}: COPY gave ${copied}, expected ${sizes}`);
    }
  }
  await client.end();
  const version = require(path.join(nodeModules, 'pg', 'package.json')).version;
  console.log(`ok node-postgres ${version}: ${iterations} iterations`);
}

main().catch((e) => {
  console.error(`node-postgres: ${e.stack || e}`);
  process.exit(1);
});
