/**
 * The update path of every field is memory stores into the mapped file: no
 * Node API, no system call. Checked two ways: the methods' source calls nothing
 * but Math and typed-array/DataView stores, and, where strace exists, the main
 * thread makes no system call while a million updates run.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { Average, Counter, Flag, Gauge, Histogram, MovingAverage } from '../../src/stats/index.js';
import { tempDir } from './helpers.js';

/** Calls a hot path may make: Math, DataView/typed-array stores, and the module's own store helpers. */
const ALLOWED =
  /^(Math\.(floor|trunc|max|min)|[\w.]*\.set(Uint8|Int8|Uint16|Int16|Uint32|Int32|Float32|Float64)|this\.(next|flip)|write[IU]64)$/;
const KEYWORDS = new Set(['if', 'switch', 'for', 'while', 'return', 'catch']);

function callsIn(fn: (...args: never[]) => unknown): string[] {
  const src = fn
    .toString()
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/\/\/.*$/gm, '');
  const body = src.slice(src.indexOf('{'));
  return [...body.matchAll(/([A-Za-z_$][\w$.]*)\s*\(/g)]
    .map((m) => m[1] ?? '')
    .filter((name) => !KEYWORDS.has(name));
}

test('the update methods call nothing but Math and typed-array stores', () => {
  const methods: [string, object, string][] = [
    ['Counter.incr', Counter.prototype, 'incr'],
    ['Gauge.set', Gauge.prototype, 'set'],
    ['Average.add', Average.prototype, 'add'],
    ['MovingAverage.add', MovingAverage.prototype, 'add'],
    ['Flag.set', Flag.prototype, 'set'],
    ['Histogram.observe', Histogram.prototype, 'observe'],
  ];
  for (const [name, proto, method] of methods) {
    const fn = Reflect.get(proto, method) as (...args: never[]) => unknown;
    const bad = callsIn(fn).filter((c) => !ALLOWED.test(c));
    // MovingAverage recomputes its sum with reduce once per lap over its own ring (no I/O).
    const allowed = name === 'MovingAverage.add' ? bad.filter((c) => c !== 'this.ring.reduce') : bad;
    assert.deepEqual(allowed, [], `${name} calls ${allowed.join(', ')}`);
  }
  assert.deepEqual(
    callsIn(function probe() {
      return Date.now();
    }),
    ['Date.now'],
    'the check sees calls',
  );
});

test('strace: a million updates make no system call on the writing thread', (t) => {
  const probe = spawnSync('strace', ['-f', '-o', '/dev/null', process.execPath, '-e', '0']);
  if (probe.error !== undefined || probe.status !== 0) {
    const why =
      probe.error !== undefined
        ? 'strace is not installed'
        : `strace cannot trace here: ${probe.stderr.toString().trim()}`;
    process.stderr.write(`SKIPPED: ${t.name}: ${why}\n`);
    t.skip(why);
    return;
  }
  const dir = tempDir(t);
  const mod = pathToFileURL(join(import.meta.dirname, '../../src/stats/index.js')).href;
  const script = join(dir, 'writer.mjs');
  writeFileSync(
    script,
    `
import { writeSync } from 'node:fs';
const { stats, counter, double, histogram } = await import(${JSON.stringify(mod)});
const s = stats({ path: ${JSON.stringify(dir)}, filename: 'sc.mmstats', fields: { c: counter('c'), d: double('d'), h: histogram('h') } });
function work(n) {
  for (let i = 0; i < n; i++) { s.c.incr(); s.d.set(i); s.h.observe(i * 1e-4 + 1e-7); }
}
work(400000); // compiled before the measured run
writeSync(1, 'BEGIN\\n');
work(400000);
writeSync(1, 'END\\n');
s.close();
`,
  );
  const log = join(dir, 'strace.log');
  const r = spawnSync('strace', ['-f', '-o', log, process.execPath, script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, 'BEGIN\nEND\n');
  const lines = readFileSync(log, 'utf8').split('\n');
  const begin = lines.findIndex((l) => /write\(1, "BEGIN\\n"/.test(l));
  const end = lines.findIndex((l) => /write\(1, "END\\n"/.test(l));
  assert.ok(begin > 0 && end > begin, 'the markers are in the trace');
  const main = /^(\d+)\s/.exec(lines[begin] ?? '')?.[1];
  assert.ok(main !== undefined);
  const between = lines
    .slice(begin + 1, end)
    .filter((l) => l.startsWith(`${main} `) && !l.includes('resumed>'));
  // 1.2 million updates: one call each would be 1.2 million lines; a few from V8 itself may appear.
  assert.ok(
    between.length < 50,
    `${between.length} system calls on the main thread:\n${between.slice(0, 20).join('\n')}`,
  );
  process.stderr.write(
    `strace: ${between.length} system calls on the main thread during 1.2M updates: ${between.join('; ')}\n`,
  );
});
