import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import {
  average,
  bool,
  counter,
  double,
  float,
  int,
  int64,
  movingAverage,
  staticField,
  stats,
  string,
  timer,
  uint,
  uint64,
} from '../../src/stats/index.js';
import { readStatsFile } from '../../src/stats/reader.js';
import { fieldBytes, tempDir } from './helpers.js';

test('the writer lays out mmstats v1 bytes exactly', (t) => {
  const dir = tempDir(t);
  const s = stats({
    prefix: 'p.',
    path: dir,
    filename: 'x.mmstats',
    noSysFields: true,
    fields: { c: counter('c'), name: string('name', 4), up: bool('up') },
  });
  s.c.incr();
  s.name.set('ab');
  s.up.set(true);
  const counterValues = Buffer.alloc(16);
  counterValues[0] = 1; // buffer 0 holds 1; wb flipped to 1 so readers read buffer 0
  const expected = Buffer.alloc(4096);
  Buffer.concat([
    Buffer.from([0x01]),
    fieldBytes('p.c', 'Q', 1, counterValues),
    fieldBytes('p.name', '4s', 0xff, Buffer.from([0x61, 0x62, 0, 0])),
    fieldBytes('p.up', '?', 0xff, Buffer.from([1])),
    Buffer.from([0, 0]),
  ]).copy(expected);
  assert.deepEqual(readFileSync(s.path), expected);
  s.c.incr(2);
  const after = readFileSync(s.path);
  const cAt = 1 + 2 + 3 + 2 + 1;
  assert.equal(after[cAt], 0, 'wb flipped back to 0');
  assert.equal(after.readBigUInt64LE(cAt + 1 + 8), 3n, 'the new value went to buffer 1');
  assert.equal(after.readBigUInt64LE(cAt + 1), 1n, 'buffer 0 still holds the old value');
  s.close();
});

test('every field kind round-trips through the reader', async (t) => {
  const dir = tempDir(t);
  const s = stats({
    prefix: 'rt.',
    path: dir,
    filename: 'rt.mmstats',
    fields: {
      hits: counter('hits'),
      i: int('i'),
      u: uint('u'),
      f: float('f'),
      d: double('d'),
      q: int64('q'),
      uq: uint64('uq'),
      up: bool('up'),
      name: string('name', 6),
      version: staticField('version', '1.2.3', '16s'),
      seven: staticField('seven', 7, 'h'),
      avg: average('avg'),
      mov: movingAverage('mov', 3),
      tm: timer('tm', 10),
    },
  });
  s.hits.incr();
  s.hits.incr(2 ** 40);
  s.i.set(-123456);
  s.u.set(4000000000);
  s.f.set(0.25);
  s.d.set(36.6);
  s.q.set(-(2 ** 50) - 3);
  s.uq.set(2 ** 52 + 1);
  s.up.set(true);
  s.name.set('añoxyz'); // 7 UTF-8 bytes: cut before the last char to fit 6
  for (const x of [1, 2, 3, 6]) s.avg.add(x);
  for (const x of [10, 20, 30, 40, 50]) s.mov.add(x);
  s.tm.add(0.5);
  const r = s.tm.time(() => 42);
  await s.tm.time(() => new Promise((res) => setTimeout(res, 20)));
  assert.equal(r, 42);

  const got = Object.fromEntries(readStatsFile(s.path).map((f) => [f.label, f.value]));
  assert.equal(got['rt.hits'], 1 + 2 ** 40);
  assert.equal(got['rt.i'], -123456);
  assert.equal(got['rt.u'], 4000000000);
  assert.equal(got['rt.f'], 0.25);
  assert.equal(got['rt.d'], 36.6);
  assert.equal(got['rt.q'], -(2 ** 50) - 3);
  assert.equal(got['rt.uq'], 2 ** 52 + 1);
  assert.equal(got['rt.up'], true);
  assert.equal(got['rt.name'], 'añoxy');
  assert.equal(got['rt.version'], '1.2.3');
  assert.equal(got['rt.seven'], 7);
  assert.equal(got['rt.avg'], 3);
  assert.equal(got['rt.mov'], 40);
  const tm = got['rt.tm'] as number;
  // mean of 0.5, ~0 and >= 0.02 seconds
  assert.ok(tm > (0.5 + 0.019) / 3 && tm < 0.5, String(tm));
  assert.equal(got['rt.sys.pid'], process.pid);
  assert.equal(got['rt.sys.tid'], 0);
  assert.equal(got['rt.sys.uid'], process.getuid?.());
  assert.equal(got['rt.sys.gid'], process.getgid?.());
  assert.equal(got['rt.org.nodejs.version'], process.version);
  assert.ok(Math.abs((got['rt.sys.created'] as number) - Date.now() / 1000) < 60);

  s.name.set('b');
  s.up.set(false);
  const again = Object.fromEntries(readStatsFile(s.path).map((f) => [f.label, f.value]));
  assert.equal(again['rt.name'], 'b', 'a shorter string leaves no tail of the longer one');
  assert.equal(again['rt.up'], false);
  s.close();
});

test('close removes the file, is idempotent, and later updates are harmless', (t) => {
  const dir = tempDir(t);
  const s = stats({ path: dir, fields: { c: counter('c') } });
  assert.ok(existsSync(s.path));
  assert.match(s.path, new RegExp(`-${process.pid}-0\\.mmstats$`));
  s.flush();
  s.close();
  s.close();
  assert.ok(!existsSync(s.path));
  s.c.incr();
  s.flush();
  assert.equal(s.c.value, 1);
});

test('MMSTATS_PATH and MMSTATS_FILES name the file; the same name twice is refused', (t) => {
  const dir = tempDir(t);
  const env = { MMSTATS_PATH: dir, MMSTATS_FILES: 'app-{PID}-{TID}.mmstats' };
  const s = stats({ env, fields: { c: counter('c') } });
  assert.equal(s.path, join(dir, `app-${process.pid}-0.mmstats`));
  assert.throws(() => stats({ env, fields: { c: counter('c') } }), /already published by this thread/);
  s.close();
  const again = stats({ env, fields: { c: counter('c') } });
  again.close();
});

test('bad field declarations are refused with a message', (t) => {
  const dir = tempDir(t);
  assert.throws(() => stats({ path: dir, fields: { close: counter('c') } }), /may not be named "close"/);
  assert.throws(
    () => stats({ path: dir, fields: { a: counter('c'), b: double('c') } }),
    /label c is used twice/,
  );
  assert.throws(() => string('s', 0), /from 1 to 65535/);
  assert.throws(() => movingAverage('m', 0), /window must be an integer >= 1/);
  assert.throws(() => counter(''), /non-empty label/);
  assert.throws(() => staticField('v', 3, '8s'), /does not fit a number/);
  assert.throws(
    () => stats({ path: join(dir, 'missing'), fields: { c: counter('c') } }),
    /cannot publish .*missing/,
  );
  assert.deepEqual(readdirSync(dir), []);
});

test('the file is removed when the process exits cleanly', (t) => {
  const dir = tempDir(t);
  const mod = pathToFileURL(join(import.meta.dirname, '../../src/stats/index.js')).href;
  const script = `
    const { stats, counter } = await import(${JSON.stringify(mod)});
    const s = stats({ path: ${JSON.stringify(dir)}, filename: 'child.mmstats', fields: { c: counter('c') } });
    s.c.incr(5);
    const { readdirSync } = await import('node:fs');
    process.stdout.write(readdirSync(${JSON.stringify(dir)}).join(','));
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, 'child.mmstats', 'the file existed while the child ran');
  assert.deepEqual(readdirSync(dir), [], 'and was removed at exit');
});
