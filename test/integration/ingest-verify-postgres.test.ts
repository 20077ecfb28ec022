import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { openStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/store.js';
import { dropSchema, pgUrl, postgresUnavailable, randomSchema } from '../helpers/postgres.js';
import { runCli } from '../helpers/run-cli.js';
import { serviceAvailable } from '../helpers/services.js';
import { call, startServe, tempDir } from './serve-process.js';

/** What a store holds, in a form to compare: counts, every stream's row, the meter samples. */
async function contents(url: string): Promise<unknown> {
  const store: Store = await openStore(url);
  try {
    const streams = [];
    let marker: string | undefined;
    do {
      const page = await store.queryStreams({ limit: 1000, ...(marker === undefined ? {} : { marker }) });
      // not `updatedAt`: for a stream completed by its pipeline, the event clock when the result came back
      streams.push(...page.items.map((s) => JSON.stringify({ ...s, updatedAt: undefined })));
      marker = page.next;
    } while (marker !== undefined);
    return {
      events: await store.countEvents({}),
      deadLetters: await store.countDeadLetters(),
      streams,
      // not `at`: likewise the event clock when a pipeline's result came back (how far ingest had got)
      samples: (await store.meterSamples()).map((m) => [m.meter, m.kind, m.value, m.streamId]),
      outcomes: (await store.pipelineOutcomes({ limit: 10_000 })).length,
      maxStreamId: await store.maxStreamId(),
    };
  } finally {
    await store.close();
  }
}

if (serviceAvailable('postgres: ingest and verify', await postgresUnavailable())) {
  describe('postgres: the CLI end to end', () => {
    test('waymark ingest --finish of a generated day with faults into PostgreSQL, then verify: 100%, as in DuckDB', async (t) => {
      const tmp = tempDir('pg-verify');
      const schema = randomSchema();
      t.after(async () => {
        tmp.remove();
        await dropSchema(schema);
      });
      const env = { MMSTATS_PATH: tmp.dir };
      const store = pgUrl({ schema });
      const traffic = join(tmp.dir, 'traffic.jsonl');
      const truth = join(tmp.dir, 'truth.jsonl');
      const gen = await runCli(
        [
          'generate',
          '--duration',
          '2h',
          '--ops-per-minute',
          '20',
          '--seed',
          '11',
          '--faults',
          'drop=0.01,dup=0.02,reorder=30s',
          '--truth',
          truth,
          '--out',
          traffic,
          '--quiet',
        ],
        '',
        env,
      );
      assert.equal(gen.code, 0, gen.stderr);
      const ing = await runCli(['ingest', '--finish', '--quiet', '--store', store, traffic], '', env);
      assert.equal(ing.code, 0, ing.stderr);
      assert.match(ing.stdout, /events stored, [1-9][\d,]* duplicates dropped/);

      const ok = await runCli(['verify', '--truth', truth, '--store', store], '', env);
      assert.equal(ok.code, 0, ok.stdout + ok.stderr);
      assert.match(ok.stdout, /precision 100\.00%, recall 100\.00%/);

      // The same input into DuckDB gives the same store, stream by stream.
      const ing2 = await runCli(['ingest', '--finish', '--quiet', '--store', tmp.store, traffic], '', env);
      assert.equal(ing2.code, 0, ing2.stderr);
      const [pg, duck] = await Promise.all([contents(store), contents(tmp.store)]);
      assert.deepEqual(pg, duck);
      assert.ok((pg as { streams: unknown[] }).streams.length > 100);
    });

    test('waymark serve --store postgresql://… ingests over HTTP; the password never shows', async (t) => {
      const tmp = tempDir('pg-serve');
      const schema = randomSchema();
      t.after(async () => {
        tmp.remove();
        await dropSchema(schema);
      });
      const u = new URL(pgUrl({ schema }));
      if (u.username === '') u.username = (await import('node:os')).userInfo().username;
      u.password = 'not-a-real-secret'; // the test server trusts local connections: the password is not checked
      const gen = await runCli(['generate', '--count', '400', '--seed', '5', '--quiet'], '', {
        MMSTATS_PATH: tmp.dir,
      });
      assert.equal(gen.code, 0, gen.stderr);
      const serve = await startServe(u.toString(), tmp.dir);
      let banner = '';
      try {
        banner = serve.stdout().split('\n')[0] ?? '';
        const posted = await call(serve.url, 'POST', '/v1/notifications', gen.stdout, 'application/x-ndjson');
        assert.equal(posted.status, 200, posted.text);
        const accepted = (posted.json as { accepted: number }).accepted;
        assert.ok(accepted > 300);
        const events = await call(serve.url, 'GET', '/v1/events?limit=1');
        assert.equal(events.status, 200);
        assert.equal((events.json as { events: unknown[] }).events.length, 1);
      } finally {
        assert.equal(await serve.stop(), 0, serve.stderr());
      }
      assert.doesNotMatch(serve.stderr(), /not-a-real-secret/);
      assert.match(
        banner,
        /^waymark serving on http:\/\/\S+ \(store postgresql:\/\/[^:]+:\*\*\*@127\.0\.0\.1/,
      );
      assert.doesNotMatch(banner, /not-a-real-secret/);
      const reopened = await openStore(pgUrl({ schema }));
      try {
        assert.ok((await reopened.countEvents({})) > 300, 'acknowledged events are in PostgreSQL');
      } finally {
        await reopened.close();
      }
    });

    test('waymark ingest --store postgresql://… on an unreachable server exits 2 naming the URL without the password', async () => {
      const r = await runCli(
        ['ingest', '--store', 'postgresql://w:hunter2@127.0.0.1:1/waymark?connect_timeout=3s', '/dev/null'],
        '',
        {},
      );
      assert.notEqual(r.code, 0);
      assert.match(
        r.stderr,
        /cannot connect to PostgreSQL at postgresql:\/\/w:\*\*\*@127\.0\.0\.1:1\/waymark\?connect_timeout=3s: connection refused/,
      );
      assert.doesNotMatch(r.stderr + r.stdout, /hunter2/);
      const bad = await runCli(
        ['ingest', '--store', 'postgresql://w:hunter2@db/x?pool=lots', '/dev/null'],
        '',
        {},
      );
      assert.equal(bad.code, 2);
      assert.match(
        bad.stderr,
        /^--store postgresql:\/\/w:\*\*\*@db\/x\?pool=lots: pool=lots must be a whole number of connections from 1 to 100/,
      );
      assert.doesNotMatch(bad.stderr, /hunter2/);
    });
  });
}
