import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultWaymarkConfig } from '../../src/config/waymark-config.js';
import { Distiller } from '../../src/distill/distiller.js';
import { runCli } from '../helpers/run-cli.js';
import {
  call,
  listAll,
  MAIN,
  settled,
  startServe,
  tempDir,
  type ServeProcess,
} from '../integration/serve-process.js';
import {
  brokerOrSkip,
  closeConnectionsNamed,
  eventually,
  Scratch,
  scratchName,
  withParams,
} from './broker.js';

/** Run the real CLI as a child process; resolves with its exit code and output. */
function cli(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [MAIN, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** `waymark serve --amqp URL` as a child process (event clock, port 0), once it consumes. */
function serveAmqp(store: string, statsDir: string, amqpUrl: string): Promise<ServeProcess> {
  return startServe(store, statsDir, ['--amqp', amqpUrl], /^amqp: consuming/m);
}

async function eventCount(url: string): Promise<number> {
  const r = await call(url, 'GET', '/v1/events?count=true');
  return (r.json as { count: number }).count;
}

test('generate --out amqp:// -> RabbitMQ -> waymark serve --amqp, connection dropped mid-stream: the store matches the ground truth, nothing lost or doubled', async (t) => {
  const broker = await brokerOrSkip(t);
  if (broker === undefined) return;
  const tmp = tempDir('amqp-e2e');
  const scratch = await Scratch.open(broker);
  const exchange = scratchName('ex');
  // The queue exists before the generator runs, so the whole run waits in it and serve starts mid-backlog.
  const queue = await scratch.boundQueue(exchange, ['notifications.info', 'notifications.error']);
  let serve: ServeProcess | undefined;
  try {
    const traffic = join(tmp.dir, 'traffic.jsonl');
    const truth = join(tmp.dir, 'truth.jsonl');
    const common = ['--scenario', 'openstack', '--ops-per-minute', '60', '--duration', '1h', '--seed', '5'];
    const faults = ['--faults', 'dup=0.02,malformed=0.002'];
    const gen = await cli([
      'generate',
      ...common,
      ...faults,
      '--envelope',
      'oslo',
      '--truth',
      truth,
      '--out',
      withParams(broker, { exchange }),
    ]);
    assert.equal(gen.code, 0, gen.stderr);
    // The same run to a file: what was published, line for line (same seed, same bytes).
    const file = await cli([
      'generate',
      ...common,
      ...faults,
      '--envelope',
      'oslo',
      '--out',
      traffic,
      '--quiet',
    ]);
    assert.equal(file.code, 0, file.stderr);
    const lines = readFileSync(traffic, 'utf8').trimEnd().split('\n');
    await eventually(
      'all published messages queued',
      async () => (await scratch.ready(queue)) === lines.length,
    );

    const distiller = Distiller.load(defaultWaymarkConfig().distillerFiles);
    const expected = new Set<string>();
    let bad = 0;
    for (const l of lines) {
      const out = distiller.distillLine(l);
      if (out.status === 'event') expected.add(out.event.message_id);
      else if (out.status === 'bad') bad++;
    }
    assert.ok(bad > 0 && expected.size > 10_000, `bad ${bad}, expected ${expected.size}`);
    assert.ok(lines.length > expected.size + bad, 'the run has duplicate deliveries');

    serve = await serveAmqp(tmp.store, tmp.dir, withParams(broker, { exchange, queue, prefetch: '200' }));
    const url = serve.url;
    await eventually('consumption under way', async () => (await eventCount(url)) >= 2000);
    // Close only serve's own connection (by its client-provided name), not every connection on the broker:
    // other test files and other projects' tests may be using RabbitMQ at the same time.
    assert.equal(await closeConnectionsNamed(`waymark source ${serve.child.pid}`), 1, 'dropped mid-stream');
    assert.ok((await eventCount(url)) < expected.size, 'the drop happened before the end');
    await eventually('everything stored', async () => (await eventCount(url)) >= expected.size, 120_000);
    await eventually('queue empty', async () => (await scratch.ready(queue)) === 0);
    await settled(url);
    const events = await listAll<{ message_id: string }>(url, '/v1/events', 'events');
    assert.equal(events.length, expected.size, 'nothing doubled');
    assert.deepEqual(new Set(events.map((e) => e.message_id)), expected, 'nothing lost');
    const health = (await call(url, 'GET', '/v1/health')).json as { dead_letters: number };
    assert.ok(health.dead_letters >= bad, `dead letters ${health.dead_letters} >= ${bad} malformed`);
    assert.match(serve.stderr(), /amqp: .*reconnecting in \d+ ms \(attempt 1\)/);
    assert.equal(await serve.stop(), 0, serve.stderr());
    serve = undefined;

    const verify = await runCli(['verify', '--truth', truth, '--store', tmp.store], '', {
      MMSTATS_PATH: tmp.dir,
    });
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
    const m = /precision 100\.00%, recall 100\.00%\n\s+correct (\d+)/.exec(verify.stdout);
    assert.ok(m !== null && Number(m[1]) > 100, verify.stdout);
  } finally {
    await serve?.stop();
    await scratch.cleanup();
    tmp.remove();
  }
});

test('serve --amqp: a refused login stops serve at once with a clear message (exit 2); an unreachable broker is retried while HTTP serves', async (t) => {
  const broker = await brokerOrSkip(t);
  if (broker === undefined) return;
  const tmp = tempDir('amqp-bad');
  try {
    const wrong = broker.replace(/\/\/([^:]*):[^@]*@/, '//$1:wrong-password@');
    const r = await cli(['serve', '--port', '0', '--store', 'memory:', '--amqp', wrong], {
      MMSTATS_PATH: tmp.dir,
    });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /ACCESS.REFUSED.*check the user and password in the URL/);
    assert.doesNotMatch(r.stderr + r.stdout, /wrong-password/, 'the password is never printed');

    const child = spawn(
      process.execPath,
      [MAIN, 'serve', '--port', '0', '--store', 'memory:', '--amqp', 'amqp://guest:guest@127.0.0.1:1/'],
      { env: { ...process.env, MMSTATS_PATH: tmp.dir }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    try {
      await eventually('serving, amqp connecting', () => /amqp: consuming .*, connecting/.test(out));
      await eventually('a retry logged', () => /reconnecting in \d+ ms \(attempt 2\)/.test(err));
      const url = /serving on (http:\/\/[\d.:]+)/.exec(out)?.[1] as string;
      assert.equal((await call(url, 'GET', '/v1/health')).status, 200);
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  } finally {
    tmp.remove();
  }
});
