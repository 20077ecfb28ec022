import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { counter, histogram, stats, string } from '../../src/stats/index.js';
import { sharedReference } from '../helpers/paths.js';
import { runCli } from '../helpers/run-cli.js';
import { tempDir } from '../stats/helpers.js';

test('stats slurp prints every field of every file in MMSTATS_PATH', async (t) => {
  const dir = tempDir(t);
  const s = stats({
    path: dir,
    filename: 'a.mmstats',
    prefix: 'web.',
    fields: { hits: counter('hits'), n: string('name', 8) },
  });
  t.after(() => s.close());
  s.hits.incr(3);
  s.n.set('nova');
  const text = await runCli(['stats', 'slurp'], '', { MMSTATS_PATH: dir });
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, new RegExp(`^==> ${join(dir, 'a.mmstats')} <==\n`));
  assert.match(text.stdout, /\n {2}web\.hits +3\n/);
  assert.match(text.stdout, /\n {2}web\.name +nova\n/);
  assert.match(text.stdout, new RegExp(`\n {2}web\\.sys\\.pid +${process.pid}\n`));

  const json = await runCli(['stats', 'slurp', '--json', join(dir, 'a.mmstats')], '', {});
  assert.equal(json.code, 0, json.stderr);
  const parsed = JSON.parse(json.stdout) as { file: string; fields: { label: string; value: unknown }[] };
  assert.equal(parsed.file, join(dir, 'a.mmstats'));
  assert.deepEqual(parsed.fields.slice(0, 2), [
    { label: 'web.hits', type: 'Q', buffered: true, metric: 'counter', value: 3 },
    { label: 'web.name', type: '8s', buffered: false, metric: 'info', value: 'nova' },
  ]);
});

test('stats slurp shows a v2 file: histograms as count, sum, min, max, p50, p90, p99', async (t) => {
  const dir = tempDir(t);
  const s = stats({
    path: dir,
    filename: 'h.mmstats',
    prefix: 'pipe.',
    noSysFields: true,
    fields: { n: counter('n'), h: histogram('build_seconds', { precision: 3 }) },
  });
  t.after(() => s.close());
  for (const v of [10, 20, 30, 40]) s.h.observe(v);
  const text = await runCli(['stats', 'slurp', s.path], '', {});
  assert.equal(text.code, 0, text.stderr);
  // nearest ranks of 10, 20, 30, 40: p50 20, p90 40, p99 40 (within 0.05%, printed to 6 digits)
  assert.match(
    text.stdout,
    /\n {2}pipe\.build_seconds +count=4 sum=100 min=10 max=40 p50=(19\.99|20\.0)\d* p90=(39\.9|40)\d* p99=(39\.9|40)\d*\n/,
  );
  const json = await runCli(['stats', 'slurp', '--json', s.path], '', {});
  const parsed = JSON.parse(json.stdout) as {
    version: number;
    fields: { label: string; metric: string; value: Record<string, number> }[];
  };
  assert.equal(parsed.version, 2);
  const h = parsed.fields.find((f) => f.label === 'pipe.build_seconds');
  assert.equal(h?.metric, 'histogram');
  assert.deepEqual([h?.value['count'], h?.value['sum'], h?.value['min'], h?.value['max']], [4, 100, 10, 40]);
  assert.ok(Math.abs((h?.value['p50'] ?? 0) - 20) <= 20 / 2048);
  assert.deepEqual(parsed.fields[0], {
    label: 'pipe.n',
    type: 'Q',
    buffered: true,
    metric: 'counter',
    value: 0,
  });
});

test('stats slurp reads the Python reference file', async (t) => {
  const ref = sharedReference(t, 'mmstats-files', 'python-mmstats-0.8.0.mmstats');
  if (ref === undefined) return;
  const r = await runCli(['stats', 'slurp', ref, '--json'], '', {});
  assert.equal(r.code, 0, r.stderr);
  const fields = (JSON.parse(r.stdout) as { fields: { label: string; value: unknown }[] }).fields;
  assert.equal(fields.find((f) => f.label === 'fixture.bytes.uint64')?.value, 1099511627779);
});

test('stats slurp reports an unreadable file, prints the others, exits 2', async (t) => {
  const dir = tempDir(t);
  const s = stats({ path: dir, filename: 'good.mmstats', fields: { c: counter('c') } });
  t.after(() => s.close());
  writeFileSync(join(dir, 'bad.mmstats'), Buffer.from([9, 0, 0]));
  writeFileSync(join(dir, 'cut.mmstats'), Buffer.from([1, 200, 0, 65]));
  const r = await runCli(['stats', 'slurp'], '', { MMSTATS_GLOB: join(dir, '*.mmstats') });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /bad\.mmstats: unsupported mmstats version byte 0x09/);
  assert.match(r.stderr, /cut\.mmstats: truncated: label \(size 200\)/);
  assert.match(r.stdout, /good\.mmstats <==\n {2}c +0\n/);
  const missing = await runCli(['stats', 'slurp', join(dir, 'nope.mmstats')], '', {});
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /nope\.mmstats: ENOENT/);
});

function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '']);
  assert.ok(child.pid !== undefined && child.pid > 0);
  return child.pid;
}

test('stats clean removes only the files of processes that are gone', async (t) => {
  const dir = tempDir(t);
  const dead = deadPid();
  const live = stats({ path: dir, filename: 'live.mmstats', fields: { c: counter('c') } });
  t.after(() => live.close());
  // A file whose sys.pid names a dead process (name says nothing).
  const d = stats({ path: dir, filename: 'dead-by-field.mmstats', fields: { c: counter('c') } });
  copyFileSync(d.path, join(dir, 'tmp'));
  d.close();
  const buf = (await import('node:fs')).readFileSync(join(dir, 'tmp'));
  const at = buf.indexOf('sys.pid') + 'sys.pid'.length + 2 + 1 + 1;
  buf.writeUInt32LE(dead, at);
  writeFileSync(join(dir, 'dead-by-field.mmstats'), buf);
  (await import('node:fs')).unlinkSync(join(dir, 'tmp'));
  // Unreadable files: the pid comes from the name.
  writeFileSync(join(dir, `node-${dead}-0.mmstats`), 'junk');
  writeFileSync(join(dir, `node-${process.pid}-3.mmstats`), 'junk');
  writeFileSync(join(dir, 'no-pid-here.mmstats'), 'junk');
  writeFileSync(join(dir, `keep-${dead}-0.txt`), 'not a stats file');

  const dry = await runCli(['stats', 'clean', '--dry-run'], '', { MMSTATS_PATH: dir });
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, /would remove .*dead-by-field\.mmstats \(pid \d+ is gone\)/);
  assert.equal(readdirSync(dir).length, 6);

  const r = await runCli(['stats', 'clean', '--json'], '', { MMSTATS_PATH: dir });
  assert.equal(r.code, 0, r.stderr);
  const removed = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { file: string; pid: number; pidFrom: string });
  assert.deepEqual(
    removed.map((x) => [x.file, x.pid, x.pidFrom]),
    [
      [join(dir, 'dead-by-field.mmstats'), dead, 'sys.pid'],
      [join(dir, `node-${dead}-0.mmstats`), dead, 'file name'],
    ],
  );
  assert.deepEqual(readdirSync(dir).sort(), [
    `keep-${dead}-0.txt`,
    'live.mmstats',
    'no-pid-here.mmstats',
    `node-${process.pid}-3.mmstats`,
  ]);
  assert.ok(existsSync(live.path));
});

test('stats: unknown subcommands and flags are usage errors (exit 2)', async () => {
  for (const args of [
    ['stats'],
    ['stats', 'poll'],
    ['stats', 'serve', '--bogus'],
    ['stats', 'slurp', '--bogus'],
    ['stats', 'clean', 'x'],
    ['stats', 'clean', '--fast'],
  ]) {
    const r = await runCli(args, '', {});
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.stderr, /usage: waymark stats slurp/, args.join(' '));
  }
  const help = await runCli(['stats', '--help'], '', {});
  assert.equal(help.code, 0);
  assert.match(help.stdout, /waymark stats clean \[--dry-run\]/);
});
