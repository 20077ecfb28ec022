import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, test } from 'node:test';
import pg from 'pg';
import { Instant } from '../../src/model/instant.js';
import { MIGRATION_LOCK_CLASS, SCHEMA_VERSION, schemaLockKey } from '../../src/store/postgres/migrations.js';
import { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import { parsePostgresUrl } from '../../src/store/postgres/postgres-url.js';
import {
  adminQuery,
  dropSchema,
  makePostgresStore,
  PG_URL,
  pgUrl,
  postgresUnavailable,
  randomSchema,
} from '../helpers/postgres.js';
import { serviceAvailable } from '../helpers/services.js';
import { at, batch, ev, ids, plain, stream } from './fixtures.js';

const MODULE = new URL('../../src/store/postgres/postgres-store.js', import.meta.url).href;

/** Run an ES module script in another node process; resolves with its exit code and output. */
function runNode(script: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

async function migrationsOf(schema: string): Promise<number[]> {
  return (await adminQuery(`SELECT version FROM "${schema}".schema_migrations ORDER BY version`)).map((r) =>
    Number(r[0]),
  );
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

if (serviceAvailable('postgres: the server', await postgresUnavailable())) {
  describe('postgres: migrations', () => {
    test('migrations are recorded in the schema; reopening applies none; a newer schema is refused', async (t) => {
      const { store, schema, cleanup } = await makePostgresStore();
      t.after(cleanup);
      await store.close();
      assert.deepEqual(
        await migrationsOf(schema),
        Array.from({ length: SCHEMA_VERSION }, (_, i) => i + 1),
      );
      const again = new PostgresStore({ url: pgUrl({ schema }) });
      await again.open();
      await again.close();
      assert.deepEqual(
        await migrationsOf(schema),
        Array.from({ length: SCHEMA_VERSION }, (_, i) => i + 1),
      );

      await adminQuery(
        `INSERT INTO "${schema}".schema_migrations (version, name) VALUES (999, 'from the future')`,
      );
      const old = new PostgresStore({ url: pgUrl({ schema }) });
      await assert.rejects(old.open(), {
        name: 'StoreSchemaTooNewError',
        message: new RegExp(
          `\\(schema ${schema}\\) has schema version 999, written by a newer waymark; .* upgrade waymark`,
        ),
      });
      await old.close();
    });

    test('processes opening one new schema at once apply each migration once (advisory lock)', async (t) => {
      const schema = randomSchema();
      t.after(() => dropSchema(schema));
      const url = pgUrl({ schema, pool: '2' });
      const startAt = Date.now() + 1500; // spawning takes a while: they all open at this instant
      const script = `
        import { PostgresStore } from ${JSON.stringify(MODULE)};
        const store = new PostgresStore({ url: ${JSON.stringify(url)} });
        while (Date.now() < ${startAt}) await new Promise((r) => setTimeout(r, 5));
        await store.open();
        await store.commit({ events: [], memberships: [], streams: [], deletedStreams: [], deadLetters: [
          { received: { us: 0 }, source: 'test', reason: 'pid ' + process.pid, payload: '' }], outcomes: [], meterSamples: [] });
        await store.close();
        process.stdout.write('opened');`;
      const runs = await Promise.all([runNode(script), runNode(script), runNode(script), runNode(script)]);
      for (const r of runs) assert.equal(r.code, 0, r.stderr);
      for (const r of runs) assert.equal(r.stdout, 'opened');
      assert.deepEqual(
        await migrationsOf(schema),
        Array.from({ length: SCHEMA_VERSION }, (_, i) => i + 1),
      );
      const ids = (await adminQuery(`SELECT id FROM "${schema}".dead_letters ORDER BY id`)).map((r) =>
        Number(r[0]),
      );
      assert.deepEqual(ids, [1, 2, 3, 4], 'one dead letter each, ids from the shared counter');
    });

    test('open waits for the migration lock held by another session, then finds nothing to do', async (t) => {
      const { store: first, schema, cleanup } = await makePostgresStore();
      t.after(cleanup);
      await first.close();
      const holder = new pg.Client({ connectionString: parsePostgresUrl(PG_URL).connectionString });
      await holder.connect();
      try {
        await holder.query('BEGIN');
        await holder.query('SELECT pg_advisory_xact_lock($1::int4, $2::int4)', [
          MIGRATION_LOCK_CLASS,
          schemaLockKey(schema),
        ]);
        const store = new PostgresStore({ url: pgUrl({ schema }) });
        let opened = false;
        const opening = store.open().then(() => (opened = true));
        await sleep(700);
        assert.equal(opened, false, 'open() waits while the lock is held');
        await holder.query('COMMIT');
        await opening;
        assert.equal(opened, true);
        assert.equal(await store.countEvents({}), 0);
        await store.close();
      } finally {
        await holder.end();
      }
    });
  });

  describe('postgres: the server', () => {
    test('everything survives close and reopen; ids carry on; stored ids stay duplicates', async (t) => {
      const { store: first, schema, cleanup } = await makePostgresStore();
      t.after(cleanup);
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

      const second = new PostgresStore({ url: pgUrl({ schema }) });
      await second.open();
      t.after(() => second.close());
      assert.equal(second.capabilities.durable, true);
      assert.deepEqual(ids((await second.queryEvents({})).items), ['a', 'b']);
      assert.equal((await second.getEvent('a'))?.traits['when']?.valueOf(), at(2).us);
      assert.equal((await second.getStream(1))?.outcome, 'fired');
      assert.equal(await second.maxStreamId(), 5, 'the deleted highest id is remembered');
      await second.commit(
        batch({ deadLetters: [{ received: at(6), source: 'http', reason: 'again', payload: 'y' }] }),
      );
      assert.deepEqual(
        (await second.deadLetters({})).map((d) => d.id),
        [2, 1],
      );
      await second.commit(batch({ events: [ev('a', 'x.again', at(9)), ev('c', 'x.new', at(9))] }));
      assert.equal(await second.countEvents({}), 3);
      assert.equal((await second.getEvent('a'))?.event_type, 'x.start');
    });

    test('the database keeps at most one stream accepting events per key', async (t) => {
      const { store, cleanup } = await makePostgresStore();
      t.after(cleanup);
      const key = { distinguishedBy: { instance_id: 'i-1' } };
      await store.commit(batch({ streams: [stream(1, key)] }));
      await assert.rejects(store.commit(batch({ streams: [stream(2, key)] })), (e: Error) => {
        assert.equal(e.name, 'StoreCommitError');
        assert.match(e.message, /streams_one_accepting_per_key/);
        return true;
      });
      await assert.rejects(store.commit(batch({ streams: [stream(3, { ...key, state: 'ready' })] })), {
        name: 'StoreCommitError',
      });
      assert.equal(await store.getStream(2), undefined);
      // In one batch: stream 1 stops accepting (fires) and stream 2 opens for the same key.
      await store.commit(batch({ streams: [stream(2, key), stream(1, { ...key, state: 'firing' })] }));
      assert.deepEqual(
        (await store.queryStreams({ distinguishedBy: { instance_id: 'i-1' } })).items.map((s) => [
          s.id,
          s.state,
        ]),
        [
          [1, 'firing'],
          [2, 'active'],
        ],
      );
      // Streams that stopped accepting may share a key; deleting the holder frees it in the same batch.
      await store.commit(batch({ streams: [stream(3, { ...key, state: 'error' })] }));
      await store.commit(batch({ deletedStreams: [2], streams: [stream(4, key)] }));
      assert.equal(await store.countStreams({ distinguishedBy: { instance_id: 'i-1' } }), 3);
    });

    test('U+0000, U+0001 and lone surrogates are kept exactly, and filters still work', async (t) => {
      const { store, cleanup } = await makePostgresStore();
      t.after(cleanup);
      const odd = 'a\u0000b\u0001c\ud800d\udc00e\\u0000f';
      const events = [
        ev(`id-${odd}`, `type.${odd}`, at(1), { [`key${odd}`]: odd, text: 'plain', n: 3 }),
        ev('plain', 'type.plain', at(2), { text: odd, n: 4 }),
      ];
      await store.commit(
        batch({
          events,
          streams: [stream(1, { trigger: `t${odd}`, distinguishedBy: { who: odd }, lastError: odd })],
          memberships: [{ streamId: 1, messageId: `id-${odd}` }],
          deadLetters: [
            { received: at(3), source: `file:${odd}`, reason: odd, payload: `\u0000${odd}\u0000` },
          ],
          meterSamples: [{ meter: `m${odd}`, kind: 'count', value: 1, streamId: 1, at: at(4) }],
        }),
      );
      const got = await store.getEvent(`id-${odd}`);
      assert.deepEqual(plain(got === undefined ? [] : [got]), plain([events[0]!]));
      assert.equal(got?.traits[`key${odd}`], odd);
      assert.deepEqual(ids((await store.queryEvents({ types: [`type.${odd}`] })).items), [`id-${odd}`]);
      assert.deepEqual(
        ids((await store.queryEvents({ traits: [{ trait: 'text', op: 'eq', value: odd }] })).items),
        ['plain'],
      );
      assert.deepEqual(
        ids((await store.queryEvents({ traits: [{ trait: 'n', op: 'gt', value: 3 }] })).items),
        ['plain'],
      );
      assert.deepEqual(
        ids((await store.queryEvents({ traits: [{ trait: `key${odd}`, op: 'eq', value: odd }] })).items),
        [`id-${odd}`],
      );
      const s = await store.getStream(1);
      assert.equal(s?.trigger, `t${odd}`);
      assert.equal(s?.distinguishedBy['who'], odd);
      assert.equal(s?.lastError, odd);
      assert.deepEqual(
        (await store.queryStreams({ distinguishedBy: { who: odd } })).items.map((x) => x.id),
        [1],
      );
      assert.deepEqual(ids(await store.streamEvents(1)), [`id-${odd}`]);
      assert.deepEqual(await store.streamsOfEvent(`id-${odd}`), [1]);
      assert.deepEqual([...(await store.existingMessageIds([`id-${odd}`, 'nope']))], [`id-${odd}`]);
      const [letter] = await store.deadLetters({});
      assert.deepEqual(
        [letter?.source, letter?.reason, letter?.payload],
        [`file:${odd}`, odd, `\u0000${odd}\u0000`],
      );
      assert.equal((await store.meterSamples(`m${odd}`)).length, 1);
      assert.equal((await store.loadOpenStreams())[0]?.events[0]?.message_id, `id-${odd}`);
    });

    test('text sorts by code point whatever the database collation: "B" < "a" < "é"', async (t) => {
      const { store, cleanup } = await makePostgresStore();
      t.after(cleanup);
      await store.commit(
        batch({ events: ['é', 'a', 'B', 'a-2', 'a1'].map((id) => ev(id, 't', at(0), { s: id })) }),
      );
      assert.deepEqual(ids((await store.queryEvents({})).items), ['B', 'a', 'a-2', 'a1', 'é']);
      assert.deepEqual(
        ids((await store.queryEvents({ traits: [{ trait: 's', op: 'lt', value: 'a' }] })).items),
        ['B'],
      );
    });

    test('connections killed by the server are replaced: the next commit and reads succeed', async (t) => {
      const app = randomSchema('waymark_app');
      const { store, cleanup } = await makePostgresStore({ application_name: app });
      t.after(cleanup);
      await store.commit(batch({ events: [ev('a', 't', at(0))] }));
      await Promise.all([store.countEvents({}), store.countEvents({}), store.getEvent('a')]);
      const killed = await adminQuery(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1',
        [app],
      );
      assert.ok(killed.length >= 1, 'the store had connections open');
      await sleep(200);
      await store.commit(batch({ events: [ev('b', 't', at(1))] }));
      assert.equal(await store.countEvents({}), 2);
    });

    test('the pool never opens more connections than ?pool= allows', async (t) => {
      const app = randomSchema('waymark_app');
      const { store, cleanup } = await makePostgresStore({ application_name: app, pool: '2' });
      t.after(cleanup);
      await store.commit(batch({ events: Array.from({ length: 2000 }, (_, i) => ev(`e${i}`, 't', at(i))) }));
      let peak = 0;
      let reading = true;
      const watcher = (async () => {
        while (reading) {
          const [[n]] = (await adminQuery(
            'SELECT count(*) FROM pg_stat_activity WHERE application_name = $1',
            [app],
          )) as [[string]];
          peak = Math.max(peak, Number(n));
          await sleep(5);
        }
      })();
      const reads = Array.from({ length: 40 }, (_, i) =>
        store.countEvents({ traits: [{ trait: 'x', op: 'eq', value: i }] }),
      );
      await Promise.all(reads);
      reading = false;
      await watcher;
      assert.ok(peak >= 1, 'the watcher saw the store connected');
      assert.ok(peak <= 2, `at most 2 connections, saw ${peak}`);
    });

    test('statement_timeout cancels a statement that runs too long', async (t) => {
      const { store, schema, cleanup } = await makePostgresStore();
      t.after(cleanup);
      const events = Array.from({ length: 30_000 }, (_, i) =>
        ev(`e${i}`, 't', at(i), { text: 'x'.repeat(200), n: i, when: new Instant(i) }),
      );
      for (let i = 0; i < events.length; i += 5000)
        await store.commit(batch({ events: events.slice(i, i + 5000) }));
      const hurried = new PostgresStore({ url: pgUrl({ schema, statement_timeout: '20ms' }) });
      await hurried.open();
      t.after(() => hurried.close());
      const slow = {
        traits: [
          { trait: 'n', op: 'ge' as const, value: 0 },
          { trait: 'text', op: 'ne' as const, value: 'y' },
          { trait: 'when', op: 'ge' as const, value: new Instant(0) },
        ],
      };
      await assert.rejects(
        Promise.all([hurried.countEvents(slow), hurried.countEvents(slow), hurried.countEvents(slow)]),
        /canceling statement due to statement timeout/,
      );
      assert.equal(await store.countEvents(slow), 30_000, 'the same query without the short limit');
    });

    test('errors at open name the URL without its password: no such database, wrong host', async () => {
      const u = new URL(parsePostgresUrl(PG_URL).connectionString);
      u.password = 'hunter2';
      u.pathname = '/waymark_no_such_database';
      await assert.rejects(new PostgresStore({ url: u.toString() }).open(), (e: Error) => {
        assert.equal(e.name, 'PostgresConnectionError');
        assert.match(e.message, /waymark_no_such_database" does not exist: create it \(createdb\)/);
        assert.match(e.message, /:\*\*\*@/);
        assert.doesNotMatch(e.message, /hunter2/);
        return true;
      });
      await assert.rejects(
        new PostgresStore({ url: 'postgresql://w:hunter2@no-such-host.invalid/x' }).open(),
        (e: Error) => {
          assert.equal(e.name, 'PostgresConnectionError');
          assert.match(
            e.message,
            /^cannot connect to PostgreSQL at postgresql:\/\/w:\*\*\*@no-such-host\.invalid\/x: the host name does not resolve/,
          );
          return true;
        },
      );
    });
  });
}
