import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/run-cli.js';

test('demo: serves, feeds generated traffic through HTTP, and reports meters', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'waymark-demo-'));
  try {
    const r = await runCli(
      [
        'demo',
        '--port',
        '0',
        '--duration',
        '40m',
        '--speed',
        '1000000',
        '--exit',
        '--json',
        '--store',
        `duckdb:${join(dir, 'd.duckdb')}`,
      ],
      '',
      { MMSTATS_PATH: dir },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /waymark demo serving on http:\/\/127\.0\.0\.1:\d+/);
    const url = /serving on (http:\/\/[\d.:]+)/.exec(r.stdout)?.[1];
    assert.ok(r.stdout.includes(`Dashboard: ${url}/\n`), 'the dashboard URL is printed');
    const sent = /(\d+) notifications sent/.exec(r.stdout);
    assert.ok(sent && Number(sent[1]) > 1000, r.stdout);
    assert.match(r.stdout, /build_seconds\s+meter\s+\d+/);
    const progress = r.stderr
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { demo?: string; final?: boolean; streams?: Record<string, number> });
    const last = progress.filter((p) => p.demo === 'progress').at(-1);
    assert.equal(last?.final, true);
    assert.ok((last?.streams?.['completed'] ?? 0) > 0, JSON.stringify(last));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('demo: bad flags exit 2', async () => {
  for (const args of [['--speed', '0'], ['--port', 'x'], ['--duration', 'soon'], ['--bogus']]) {
    const r = await runCli(['demo', ...args]);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.stderr, /waymark demo/);
  }
});
