import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { openStore } from '../../src/store/open-store.js';
import { tempDir } from './fixtures.js';

test('openStore("memory:") opens a memory store', async () => {
  const store = await openStore('memory:');
  assert.equal(store.name, 'memory');
  assert.equal(await store.countEvents({}), 0, 'already open');
  await store.close();
});

test('openStore("duckdb:PATH") opens a DuckDB file relative to cwd', async (t) => {
  const tmp = tempDir();
  t.after(() => tmp.remove());
  const store = await openStore('duckdb:data/../w.duckdb', { cwd: tmp.dir });
  try {
    assert.equal(store.name, 'duckdb');
    assert.equal(store.capabilities.durable, true);
    assert.ok(existsSync(join(tmp.dir, 'w.duckdb')));
  } finally {
    await store.close();
  }
  const inMemory = await openStore('duckdb::memory:');
  assert.equal(inMemory.capabilities.durable, false);
  await inMemory.close();
});

test('openStore refuses anything unknown, saying what it takes', async () => {
  for (const url of ['sqlite:x.db', 'waymark.duckdb', '', 'duckdb:']) {
    await assert.rejects(openStore(url), (e: Error) => {
      assert.equal(e.name, 'UnsupportedStoreError');
      assert.match(e.message, /duckdb:/);
      return true;
    });
  }
});

test('openStore("postgresql://…") checks the URL before connecting, and names it without the password', async () => {
  await assert.rejects(openStore('postgresql://w:s3cret@localhost/waymark?pool=none'), (e: Error) => {
    assert.equal(e.name, 'UnsupportedStoreError');
    assert.match(e.message, /pool=none must be a whole number of connections from 1 to 100/);
    assert.match(e.message, /postgresql:\/\/w:\*\*\*@localhost\/waymark/);
    assert.doesNotMatch(e.message, /s3cret/);
    return true;
  });
  // port 1 on this host: nothing listens there
  await assert.rejects(
    openStore('postgres://w:s3cret@127.0.0.1:1/waymark?connect_timeout=5s'),
    (e: Error) => {
      assert.equal(e.name, 'PostgresConnectionError');
      assert.match(
        e.message,
        /^cannot connect to PostgreSQL at postgres:\/\/w:\*\*\*@127\.0\.0\.1:1\/waymark\?connect_timeout=5s: connection refused: is the server running/,
      );
      assert.doesNotMatch(e.message, /s3cret/);
      return true;
    },
  );
});
