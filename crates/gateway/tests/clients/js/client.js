// node-postgres (`pg` and `pg-cursor` from npm) through the wicket gateway: a query with
// parameters, a named prepared statement used twice, a transaction, int4[] and jsonb, and a
// cursor read in pieces (portal suspension).
//
// The connection parameters are WICKET_HOST, WICKET_PORT, WICKET_DB, WICKET_USER and
// WICKET_PASSWORD.
'use strict';

const assert = require('node:assert/strict');
const { Client, Pool } = require('pg');
const Cursor = require('pg-cursor');

async function main() {
  const client = new Client({
    host: process.env.WICKET_HOST,
    port: Number(process.env.WICKET_PORT),
    database: process.env.WICKET_DB,
    user: process.env.WICKET_USER,
    password: process.env.WICKET_PASSWORD,
  });
  await client.connect();
  try {
    const one = await client.query('select name from customers where id = $1', [1]);
    assert.equal(one.rows[0].name, 'ada');

    for (const id of [1, 2]) {
      const r = await client.query({
        name: 'customer-by-id',
        text: 'select name from customers where id = $1',
        values: [id],
      });
      assert.equal(r.rows.length, 1);
    }

    await client.query('BEGIN');
    await client.query('insert into t (x) values ($1), ($2)', [600, 601]);
    await client.query('COMMIT');

    const g = await client.query('select tags, doc from gadgets where id = $1', [1]);
    assert.deepEqual(g.rows[0].tags, [1, 2, 3]);
    assert.deepEqual(g.rows[0].doc, { k: [1, 2] });

    const cursor = client.query(new Cursor('select x from t where x >= $1 order by x', [0]));
    const seen = [];
    for (;;) {
      const rows = await cursor.read(2);
      if (rows.length === 0) break;
      seen.push(...rows.map((r) => r.x));
    }
    await cursor.close();
    assert.ok(seen.includes(600) && seen.includes(601), JSON.stringify(seen));

    const v = await client.query('select version() as v, current_user as u');
    assert.match(v.rows[0].v, /^PostgreSQL/);

    const arrays = await client.query({ text: 'select id, label from gadgets order by id', rowMode: 'array' });
    assert.deepEqual(arrays.rows, [[1, 'first'], [2, 'second']]);

    // A denied statement fails alone; the connection goes on.
    await assert.rejects(client.query('select * from pg_authid'), (e) => e.code === '42501');
    assert.equal((await client.query('select 1 as one')).rows[0].one, 1);

    // Notifications: the sender is this connection's own backend.
    const note = new Promise((resolve) => client.once('notification', resolve));
    await client.query('LISTEN wicket_test');
    await client.query("NOTIFY wicket_test, 'hi'");
    const n = await note;
    assert.equal(n.processId, client.processID);
    const pid = await client.query('select pg_backend_pid() as pid');
    assert.equal(pid.rows[0].pid, client.processID);
  } finally {
    await client.end();
  }

  const pool = new Pool({
    host: process.env.WICKET_HOST,
    port: Number(process.env.WICKET_PORT),
    database: process.env.WICKET_DB,
    user: process.env.WICKET_USER,
    password: process.env.WICKET_PASSWORD,
    max: 2,
  });
  try {
    const counts = await Promise.all([1, 2, 3, 4].map(() => pool.query('select count(*)::int as n from customers')));
    assert.ok(counts.every((r) => r.rows[0].n === 2));
  } finally {
    await pool.end();
  }
  console.log('node-postgres ok');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
