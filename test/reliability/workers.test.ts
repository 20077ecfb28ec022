import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { defaultWaymarkConfig } from '../../src/config/waymark-config.js';
import { Distiller } from '../../src/distill/distiller.js';
import { openStore } from '../../src/store/open-store.js';
import type { SharedStore } from '../../src/store/store.js';
import { brokerOrSkip, eventually, Scratch, scratchName, withParams } from '../amqp/broker.js';
import { adminQuery, dropSchema, pgUrl, postgresUnavailable, randomSchema } from '../helpers/postgres.js';
import { assertCommittedOnce } from '../helpers/outcomes.js';
import { runCli } from '../helpers/run-cli.js';
import { REQUIRE_SERVICES } from '../helpers/services.js';
import { settled, startServe, tempDir, type ServeProcess } from '../integration/serve-process.js';

function killed(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

test('3 workers on one queue and one PostgreSQL store, kill -9 of workers and terminated PostgreSQL sessions: every event stored once, every stream as the truth says, no pipeline committed twice', async (t) => {
  const broker = await brokerOrSkip(t);
  if (broker === undefined) return;
  const pgDown = await postgresUnavailable();
  if (pgDown !== undefined) {
    if (REQUIRE_SERVICES) throw new Error(`${pgDown}; WAYMARK_REQUIRE_SERVICES=1 requires it`);
    process.stderr.write(`SKIPPED: ${t.name}: ${pgDown}\n`);
    return t.skip(pgDown);
  }
  const tmp = tempDir('workers');
  const schema = randomSchema();
  const app = `waymark_workers_${randomBytes(4).toString('hex')}`;
  const store = pgUrl({ schema, pool: '4', application_name: app });
  const scratch = await Scratch.open(broker);
  const exchange = scratchName('ex');
  const queue = await scratch.boundQueue(exchange, ['notifications.info', 'notifications.error']);
  const workers: (ServeProcess | undefined)[] = [];
  t.after(async () => {
    await Promise.all(workers.map(async (w) => w?.stop()));
    await scratch.cleanup();
    await dropSchema(schema);
    tmp.remove();
  });

  // Three consumers interleave the queue and a killed one's unacknowledged messages come back
  // later: the event clock waits 2 hours for late events (the builds' expiration is 4 hours).
  const config = join(tmp.dir, 'waymark.yaml');
  writeFileSync(config, 'lateness: 2h\n');
  const truth = join(tmp.dir, 'truth.jsonl');
  const traffic = join(tmp.dir, 'traffic.jsonl');
  const common = ['--scenario', 'openstack', '--ops-per-minute', '3', '--duration', '24h', '--seed', '13'];
  const faults = ['--faults', 'drop=0.01,dup=0.01,reorder=30s'];
  const gen = await runCli(
    [
      'generate',
      ...common,
      ...faults,
      '--truth',
      truth,
      '--out',
      withParams(broker, { exchange }),
      '--quiet',
    ],
    '',
    { MMSTATS_PATH: tmp.dir },
  );
  assert.equal(gen.code, 0, gen.stderr);
  const file = await runCli(['generate', ...common, ...faults, '--out', traffic, '--quiet'], '', {
    MMSTATS_PATH: tmp.dir,
  });
  assert.equal(file.code, 0, file.stderr);
  const lines = readFileSync(traffic, 'utf8').trimEnd().split('\n');
  const distiller = Distiller.load(defaultWaymarkConfig().distillerFiles);
  const expected = new Set<string>();
  for (const l of lines) {
    const out = distiller.distillLine(l);
    if (out.status === 'event') expected.add(out.event.message_id);
  }
  assert.ok(
    expected.size > 20_000 && lines.length > expected.size,
    `${lines.length} lines, ${expected.size} events`,
  );
  await eventually(
    'all published messages queued',
    async () => (await scratch.ready(queue)) === lines.length,
  );

  const amqpUrl = withParams(broker, { exchange, queue, prefetch: '100' });
  const start = (): Promise<ServeProcess> =>
    startServe(
      store,
      tmp.dir,
      ['--config', config, '--shared', '--lease', '2', '--amqp', amqpUrl],
      /^amqp: consuming/m,
    );
  // One after the other: the first creates the schema (the others would wait for its migration lock anyway).
  for (let i = 0; i < 3; i++) workers.push(await start());

  const observer = (await openStore(store)) as SharedStore;
  t.after(() => observer.close());
  const ids = [...expected];
  const stored = async (): Promise<number> => (await observer.existingMessageIds(ids)).size;

  // Faults at fractions of the input stored: kill -9 a worker (the correlator, when it is one), or
  // terminate every PostgreSQL session of the workers.
  const plan: { at: number; fault: 'kill' | 'terminate' }[] = [
    { at: 0.15, fault: 'kill' },
    { at: 0.35, fault: 'terminate' },
    { at: 0.5, fault: 'kill' },
    { at: 0.7, fault: 'kill' },
    { at: 0.8, fault: 'terminate' },
  ];
  let kills = 0;
  let terminated = 0;
  let victim = 0;
  for (const step of plan) {
    await eventually(
      `${step.fault} at ${step.at * 100}%`,
      async () => (await stored()) >= step.at * ids.length,
      120_000,
    );
    if (step.fault === 'kill') {
      // The first kill is of the correlator (the lease holder's id is host:pid:random); then in turn.
      const holder = kills === 0 ? await observer.leaseHolder() : undefined;
      const pid = holder === undefined ? undefined : Number(holder.holder.split(':')[1]);
      const held = workers.findIndex((w) => w?.child.pid === pid);
      if (kills === 0)
        assert.ok(holder !== undefined && held >= 0, `a worker holds the lease: ${holder?.holder}`);
      const i = kills === 0 ? held : victim++ % workers.length;
      await killed((workers[i] as ServeProcess).child);
      kills++;
      workers[i] = await start();
      if (holder !== undefined) {
        await eventually('another worker takes the lease over', async () => {
          const now = await observer.leaseHolder();
          return now !== undefined && now.epoch > holder.epoch && now.holder !== holder.holder;
        });
      }
    } else {
      const rows = await adminQuery(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1`,
        [app],
      );
      terminated += rows.filter((r) => r[0] === true).length;
    }
  }
  assert.equal(kills, 3);
  assert.ok(terminated > 0, 'sessions were terminated');
  assert.ok((await stored()) < ids.length, 'the faults happened before the end');

  await eventually('everything stored', async () => (await stored()) === ids.length, 180_000);
  await eventually('the broker queue empty', async () => (await scratch.ready(queue)) === 0);
  await eventually('everything correlated', async () => (await observer.queueDepth()) === 0, 60_000);
  await settled((workers[0] as ServeProcess).url);
  for (let i = 0; i < workers.length; i++) {
    const w = workers[i] as ServeProcess;
    assert.equal(await w.stop(), 0, w.stderr());
    workers[i] = undefined;
  }

  // The lease was taken at the start and again after the correlator was killed (checked above);
  // terminated sessions move it only when they cut a commit of the correlator.
  const [lease] = await adminQuery(`SELECT epoch FROM "${schema}".worker_leases WHERE name = 'correlator'`);
  assert.ok(Number(lease?.[0]) >= 2, `lease epoch ${String(lease?.[0])}`);

  const finish = await runCli(
    ['ingest', '--finish', '--quiet', '--config', config, '--store', store, '-'],
    '',
    {
      MMSTATS_PATH: tmp.dir,
    },
  );
  assert.equal(finish.code, 0, finish.stderr);
  const verify = await runCli(['verify', '--truth', truth, '--store', store], '', { MMSTATS_PATH: tmp.dir });
  assert.equal(verify.code, 0, verify.stdout + verify.stderr);
  const m = /precision 100\.00%, recall 100\.00%\n\s+correct (\d+)/.exec(verify.stdout);
  assert.ok(m !== null && Number(m[1]) > 1000, verify.stdout);

  assert.ok((await assertCommittedOnce(observer, ids.length)) > 100);
  assert.equal(await observer.countStreams({ states: ['active', 'ready', 'firing', 'expiring'] }), 0);
});

test('serve --shared needs a store several processes can share; --lease needs --shared or a positive number', async () => {
  const tmp = tempDir('shared-flags');
  try {
    const duck = await runCli(['serve', '--port', '0', '--shared', '--store', tmp.store], '', {
      MMSTATS_PATH: tmp.dir,
    });
    assert.equal(duck.code, 2, duck.stderr);
    assert.match(
      duck.stderr,
      /--shared: the duckdb store cannot be shared by several workers: use a postgresql:\/\/ store/,
    );
    const lease = await runCli(['serve', '--port', '0', '--lease', '5', '--store', 'memory:'], '', {
      MMSTATS_PATH: tmp.dir,
    });
    assert.equal(lease.code, 2);
    assert.match(lease.stderr, /--lease only applies with --shared/);
    const bad = await runCli(
      ['serve', '--port', '0', '--shared', '--lease', 'soon', '--store', 'memory:'],
      '',
      {
        MMSTATS_PATH: tmp.dir,
      },
    );
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--lease expects a positive number, got "soon"/);
  } finally {
    tmp.remove();
  }
});
