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

test('openStore refuses PostgreSQL for now, and anything unknown, saying what it takes', async () => {
  for (const url of ['postgresql://localhost/waymark', 'postgres://u@h:5432/db']) {
    await assert.rejects(openStore(url), {
      name: 'UnsupportedStoreError',
      message: /PostgreSQL store is not available yet: it arrives with the scale-out work/,
    });
  }
  for (const url of ['sqlite:x.db', 'waymark.duckdb', '', 'duckdb:']) {
    await assert.rejects(openStore(url), (e: Error) => {
      assert.equal(e.name, 'UnsupportedStoreError');
      assert.match(e.message, /duckdb:/);
      return true;
    });
  }
});
