import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { DuckDBStore } from '../../src/store/duckdb/duckdb-store.js';
import { CORRELATION_TRAITS, SCHEMA_VERSION } from '../../src/store/duckdb/migrations.js';
import { at, batch, ev, ids, rawSql, stream, tempDir } from './fixtures.js';
import { storeSuite } from './store-suite.js';

storeSuite('duckdb', async () => {
  const tmp = tempDir('waymark-duckdb-');
  const store = DuckDBStore.create({ path: join(tmp.dir, 'store.duckdb') });
  await store.open();
  return {
    store,
    cleanup: async () => {
      await store.close();
      tmp.remove();
    },
  };
});

const MODULE = new URL('../../src/store/duckdb/duckdb-store.js', import.meta.url).href;
const INSTANT = new URL('../../src/model/instant.js', import.meta.url).href;

/** Raw SQL on a closed store's file, to look at (or tamper with) what the store wrote. */
/** Run an ES module script in another node process; resolves with its stdout once it prints `until` (or exits). */
function runNode(script: string, until?: string): Promise<{ stdout: string; kill(): Promise<void> }> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const kill = async (): Promise<void> => {
    child.kill('SIGKILL');
    await exited;
  };
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (until !== undefined && stdout.includes(until)) resolve({ stdout, kill });
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (until === undefined) resolve({ stdout, kill });
      else reject(new Error(`child exited (${String(code)}) before printing ${until}: ${stdout} ${stderr}`));
    });
  });
}

describe('duckdb: the file', () => {
  test('everything survives close and reopen; ids carry on', async (t) => {
    const tmp = tempDir('waymark-duckdb-');
    t.after(() => tmp.remove());
    const path = join(tmp.dir, 'w.duckdb');
    const first = DuckDBStore.create({ path });
    await first.open();
    await first.commit(
      batch({
        events: [ev('a', 'x.start', at(1), { n: 1, when: at(2) }), ev('b', 'x.end', at(3))],
        streams: [stream(1, { state: 'completed', outcome: 'fired' }), stream(5)],
        memberships: [
          { streamId: 5, messageId: 'a' },
          { streamId: 5, messageId: 'b' },
        ],
        deadLetters: [{ received: at(4), source: 'http', reason: 'bad', payload: 'x' }],
        meterSamples: [{ meter: 'm', kind: 'sample', value: 2, streamId: 1, at: at(5) }],
      }),
    );
    await first.commit(batch({ deletedStreams: [5] }));
    await first.close();

    const second = DuckDBStore.create({ path });
    await second.open();
    t.after(() => second.close());
    assert.equal(second.capabilities.durable, true);
    assert.deepEqual(ids((await second.queryEvents({})).items), ['a', 'b']);
    assert.equal((await second.getEvent('a'))?.traits['when']?.valueOf(), at(2).us);
    assert.equal((await second.getStream(1))?.outcome, 'fired');
    assert.equal(await second.maxStreamId(), 5, 'the deleted highest id is remembered');
    assert.equal((await second.meterSamples())[0]?.value, 2);
    await second.commit(
      batch({ deadLetters: [{ received: at(6), source: 'http', reason: 'again', payload: 'y' }] }),
    );
    assert.deepEqual(
      (await second.deadLetters({})).map((d) => d.id),
      [2, 1],
    );
    // events stored before the restart are still known as duplicates
    await second.commit(batch({ events: [ev('a', 'x.again', at(9)), ev('c', 'x.new', at(9))] }));
    assert.equal(await second.countEvents({}), 3);
    assert.equal((await second.getEvent('a'))?.event_type, 'x.start');
  });

  test('duplicates are caught exactly while the id filter fills up and is rebuilt', async () => {
    const store = DuckDBStore.create({ path: ':memory:', duplicateFilterCapacity: 16 });
    await store.open();
    try {
      for (let b = 0; b < 6; b++) {
        // 40 events a batch, the first 20 repeating the previous batch's last 20
        const events = Array.from({ length: 40 }, (_, i) =>
          ev(`d${b * 20 + i}`, `batch-${b}`, at(b * 20 + i)),
        );
        await store.commit(batch({ events }));
      }
      assert.equal(await store.countEvents({}), 5 * 20 + 40);
      assert.equal((await store.getEvent('d20'))?.event_type, 'batch-0', 'the first copy stays');
      assert.equal((await store.getEvent('d139'))?.event_type, 'batch-5');
    } finally {
      await store.close();
    }
  });

  test('migrations are recorded; reopening applies none', async (t) => {
    const tmp = tempDir('waymark-duckdb-');
    t.after(() => tmp.remove());
    const path = join(tmp.dir, 'm.duckdb');
    const store = DuckDBStore.create({ path });
    await store.open();
    await store.close();
    const before = await rawSql(
      path,
      'SELECT version, name, applied_at FROM schema_migrations ORDER BY version',
    );
    assert.deepEqual(
      before.map((r) => r[0]),
      Array.from({ length: SCHEMA_VERSION }, (_, i) => i + 1),
    );
    assert.equal(typeof before[0]?.[1], 'string');
    const again = DuckDBStore.create({ path });
    await again.open();
    await again.close();
    assert.deepEqual(
      await rawSql(path, 'SELECT version, name, applied_at FROM schema_migrations ORDER BY version'),
      before,
    );
  });

  test('correlation traits are columns: written from the traits exactly as the migration extracts them from the JSON', async (t) => {
    const tmp = tempDir('waymark-duckdb-');
    t.after(() => tmp.remove());
    const path = join(tmp.dir, 'c.duckdb');
    const store = DuckDBStore.create({ path });
    await store.open();
    const events = [
      ev('a', 't', at(0), { testrun_id: 'run-1', request_id: 'req-é', other: 'x' }),
      ev('b', 't', at(1), { instance_id: 42, request_id: 1.5 }),
      ev('c', 't', at(2), { testrun_id: at(3), host: 'h' }),
      ev('d', 't', at(3)),
    ];
    await store.commit(batch({ events }));
    await store.close();
    const cols = CORRELATION_TRAITS.join(', '); // request_id, instance_id, testrun_id
    const extracted = CORRELATION_TRAITS.map((c) => `json_extract_string(traits, '$.${c}')`).join(', ');
    const rows = await rawSql(
      path,
      `SELECT message_id, ${cols}, ${extracted} FROM events ORDER BY message_id`,
    );
    assert.deepEqual(
      rows.map((r) => r.slice(0, 4)),
      [
        ['a', 'req-é', null, 'run-1'],
        ['b', '1.5', '42', null],
        ['c', null, null, at(3).toJSON()],
        ['d', null, null, null],
      ],
    );
    for (const r of rows) assert.deepEqual(r.slice(4), r.slice(1, 4), `event ${String(r[0])}: column = JSON`);

    // A store from before migration 2: the columns are added and filled from the JSON.
    await rawSql(
      path,
      `ALTER TABLE events DROP COLUMN seq; DROP TABLE run_marks; DROP TABLE run_marks_state; DROP TABLE run_mark_types;
       ALTER TABLE events DROP COLUMN testrun_id; ALTER TABLE events DROP COLUMN request_id;
       ALTER TABLE events DROP COLUMN instance_id; DELETE FROM schema_migrations WHERE version >= 2`,
    );
    const old = DuckDBStore.create({ path });
    await old.open();
    await old.close();
    assert.deepEqual(
      await rawSql(path, `SELECT message_id, ${cols} FROM events ORDER BY message_id`),
      rows.map((r) => r.slice(0, 4)),
    );
  });

  test('a store written by a newer waymark is refused, and left as it was', async (t) => {
    const tmp = tempDir('waymark-duckdb-');
    t.after(() => tmp.remove());
    const path = join(tmp.dir, 'n.duckdb');
    const store = DuckDBStore.create({ path });
    await store.open();
    await store.close();
    await rawSql(
      path,
      `INSERT INTO schema_migrations (version, name) VALUES (${SCHEMA_VERSION + 1}, 'from the future')`,
    );
    await assert.rejects(DuckDBStore.create({ path }).open(), (e: Error) => {
      assert.equal(e.name, 'StoreSchemaTooNewError');
      assert.match(e.message, new RegExp(`schema version ${SCHEMA_VERSION + 1}.*upgrade waymark`));
      assert.ok(e.message.includes(path));
      return true;
    });
    assert.equal(
      (await rawSql(path, 'SELECT count(*) FROM schema_migrations'))[0]?.[0],
      BigInt(SCHEMA_VERSION + 1),
    );
    // the refused open released the file
    const raw = await rawSql(path, 'SELECT 1');
    assert.equal(raw.length, 1);
  });

  test('a file that is not a DuckDB database, or a missing directory, gives a clear error', async (t) => {
    const tmp = tempDir('waymark-duckdb-');
    t.after(() => tmp.remove());
    const garbage = join(tmp.dir, 'garbage.duckdb');
    writeFileSync(garbage, 'this is not a database\n'.repeat(500));
    await assert.rejects(DuckDBStore.create({ path: garbage }).open(), (e: Error) => {
      assert.equal(e.name, 'StoreFileError');
      assert.match(e.message, /garbage\.duckdb exists but is not a DuckDB database/);
      assert.match(e.message, /--store duckdb:PATH/);
      return true;
    });
    const missing = join(tmp.dir, 'no', 'such', 'dir', 'x.duckdb');
    await assert.rejects(DuckDBStore.create({ path: missing }).open(), {
      name: 'StoreFileError',
      message: /its directory does not exist/,
    });
  });

  test('a second store on the same file in this process is refused', async (t) => {
    const tmp = tempDir('waymark-duckdb-');
    t.after(() => tmp.remove());
    mkdirSync(join(tmp.dir, 'sub'));
    const path = join(tmp.dir, 'sub', 'one.duckdb');
    const store = DuckDBStore.create({ path });
    await store.open();
    t.after(() => store.close());
    await assert.rejects(
      DuckDBStore.create({ path: join(tmp.dir, 'sub', '..', 'sub', 'one.duckdb') }).open(),
      {
        name: 'StoreLockedError',
        message: /already open in this process/,
      },
    );
  });

  test('another process opening the file gets the "locked" error', async (t) => {
    const tmp = tempDir('waymark-duckdb-');
    t.after(() => tmp.remove());
    const path = join(tmp.dir, 'locked.duckdb');
    const store = DuckDBStore.create({ path });
    await store.open();
    t.after(() => store.close());
    const { stdout } = await runNode(`
      const { DuckDBStore } = await import(${JSON.stringify(MODULE)});
      try {
        await DuckDBStore.create({ path: ${JSON.stringify(path)} }).open();
        console.log(JSON.stringify({ name: 'opened' }));
      } catch (e) {
        console.log(JSON.stringify({ name: e.name, message: e.message }));
      }`);
    const got = JSON.parse(stdout) as { name: string; message: string };
    assert.equal(got.name, 'StoreLockedError');
    assert.ok(got.message.includes(path), got.message);
    assert.match(got.message, /locked by another process \(PID \d+\).*`waymark serve` may be running/);
  });

  test('a commit that resolved survives the process being killed', async (t) => {
    const tmp = tempDir('waymark-duckdb-');
    t.after(() => tmp.remove());
    const path = join(tmp.dir, 'killed.duckdb');
    const child = await runNode(
      `
      const { DuckDBStore } = await import(${JSON.stringify(MODULE)});
      const { Instant } = await import(${JSON.stringify(INSTANT)});
      const store = DuckDBStore.create({ path: ${JSON.stringify(path)} });
      await store.open();
      const events = Array.from({ length: 1000 }, (_, i) => ({
        message_id: 'k' + i, event_type: 't', timestamp: new Instant(1402502400000000 + i),
        received: new Instant(1402502400000000 + i), traits: { i },
      }));
      await store.commit({ events, memberships: [], streams: [], deletedStreams: [], deadLetters: [], outcomes: [], meterSamples: [] });
      console.log('committed');
      setInterval(() => {}, 1000);`,
      'committed',
    );
    await child.kill();
    const store = DuckDBStore.create({ path });
    await store.open();
    t.after(() => store.close());
    assert.equal(await store.countEvents({}), 1000);
    assert.equal((await store.getEvent('k999'))?.traits['i'], 999);
  });

  test('a failed commit does not break a later one when its appender is garbage-collected', async () => {
    // DuckDB 1.5.6: a failed appender flushes its rows again when collected, into whatever transaction
    // is open then, aborting it. Collect garbage while the next commit's transaction is open.
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    for (let round = 0; round < 4; round++) {
      const store = DuckDBStore.create({ path: ':memory:' });
      await store.open();
      try {
        await store.commit(batch({ streams: [stream(9)] }));
        await assert.rejects(
          store.commit(
            batch({
              events: [ev('x', 't', at(0))],
              streams: [stream(1), stream(2, { state: 'bogus' as never })],
            }),
          ),
          { name: 'StoreCommitError' },
        );
        const events = Array.from({ length: 5000 }, (_, i) => ev(`g${i}`, 't', at(i)));
        let done = false;
        const committing = store
          .commit(
            batch({ events, memberships: events.map((e) => ({ streamId: 1, messageId: e.message_id })) }),
          )
          .finally(() => (done = true));
        while (!done) {
          gc();
          await new Promise((resolve) => setImmediate(resolve));
        }
        await committing;
        assert.equal(await store.countEvents({}), 5000, `round ${round}`);
      } finally {
        await store.close();
      }
    }
  });

  test(':memory: works and says it is not durable', async () => {
    const store = DuckDBStore.create({ path: ':memory:' });
    await store.open();
    try {
      assert.equal(store.capabilities.durable, false);
      await store.commit(batch({ events: [ev('a', 't', at(0))] }));
      assert.equal(await store.countEvents({}), 1);
    } finally {
      await store.close();
    }
  });
});
