import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { counter, stats } from '../../src/stats/index.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { runCli } from '../helpers/run-cli.js';
import { tempDir } from '../stats/helpers.js';

test('stats serve: /metrics and /v1/stats over HTTP until SIGTERM', async (t) => {
  const dir = tempDir(t);
  const s = stats({ path: dir, filename: 'a.mmstats', prefix: 'web.', fields: { hits: counter('hits') } });
  t.after(() => s.close());
  s.hits.incr(9);
  const child = spawn(
    process.execPath,
    [join(REPO_ROOT, 'dist/src/cli/main.js'), 'stats', 'serve', '--port', '0', '--dir', dir],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  t.after(() => child.kill('SIGKILL'));
  let stderr = '';
  const base = await new Promise<string>((ok, fail) => {
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)\/metrics and \/v1\/stats, reading (.*)\n/.exec(
        stderr,
      );
      if (m !== null) ok(m[1] ?? '');
    });
    child.once('exit', (code) => fail(new Error(`exited ${code}: ${stderr}`)));
  });
  assert.match(stderr, new RegExp(`reading ${dir}/\\*\\.mmstats`));
  const metrics = await fetch(`${base}/metrics`);
  assert.equal(metrics.status, 200);
  assert.match(await metrics.text(), /\nweb_hits_total 9\n/);
  const json = (await (await fetch(`${base}/v1/stats?agg=max&prefix=web.hits`)).json()) as {
    fields: unknown;
  };
  assert.deepEqual(json.fields, { 'web.hits': 9 });
  const missing = await fetch(`${base}/nope`);
  assert.equal(missing.status, 404);
  assert.match(((await missing.json()) as { error: string }).error, /try GET \/metrics/);
  const exited = new Promise<number | null>((ok) => child.once('exit', ok));
  child.kill('SIGTERM');
  assert.equal(await exited, 0);
});

test('stats serve: bad flags are usage errors', async () => {
  for (const [args, re] of [
    [['--port', '70000'], /--port expects 0 to 65535/],
    [['--port', 'http'], /--port expects an integer/],
    [['--glob', '/etc/*'], /may only match file names/],
    [['--gauge', 'median'], /--gauge expects one of/],
    [['extra'], /unexpected argument "extra"/],
  ] as const) {
    const r = await runCli(['stats', 'serve', ...args], '', {});
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.stderr, re, args.join(' '));
  }
});
