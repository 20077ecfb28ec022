import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MeterRegistry, MeterRegistryError } from '../../src/pipeline/meter-registry.js';
import type { StagedSample } from '../../src/pipeline/staged-sample.js';

/** The test's own oracle: type-7 percentile on a plain sorted copy (h = (n-1)p, interpolate). */
function r7(values: number[], p: number): number {
  const xs = [...values].sort((a, b) => a - b);
  const h = (xs.length - 1) * p;
  const i = Math.floor(h);
  if (i === xs.length - 1) return xs[i] as number;
  const a = xs[i] as number;
  const b = xs[i + 1] as number;
  return a + (h - i) * (b - a);
}

function oracle(values: number[]) {
  const xs = [...values].sort((a, b) => a - b);
  const n = xs.length;
  const mean = xs.reduce((s, x) => s + x, 0) / n;
  const variance = xs.reduce((s, x) => s + (x - mean) * (x - mean), 0) / n;
  return {
    count: n,
    min: xs[0],
    max: xs[n - 1],
    mean,
    stddev: Math.sqrt(variance),
    p50: r7(xs, 0.5),
    p90: r7(xs, 0.9),
    p99: r7(xs, 0.99),
  };
}

/** Welford's running mean and variance, as a cross-check that needs only to agree closely. */
function welford(values: number[]): { mean: number; stddev: number } {
  let n = 0;
  let mean = 0;
  let m2 = 0;
  for (const x of values) {
    n++;
    const d = x - mean;
    mean += d / n;
    m2 += d * (x - mean);
  }
  return { mean, stddev: Math.sqrt(m2 / n) };
}

function samples(meter: string, values: number[]): StagedSample[] {
  return values.map((value) => ({ meter, kind: 'sample', value }));
}

/** A small deterministic PRNG (mulberry32) so failures reproduce. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('many random samples, in random batches: every figure equals the oracle exactly', () => {
  const rand = rng(12345);
  const values: number[] = [];
  const reg = new MeterRegistry();
  while (values.length < 5000) {
    const batch = Array.from(
      { length: 1 + Math.floor(rand() * 40) },
      () =>
        // Build durations: lognormal-ish, microsecond resolution, seconds.
        Math.round(Math.exp(3 + rand() * 2 + rand()) * 1e6) / 1e6,
    );
    values.push(...batch);
    reg.apply(samples('build_seconds', batch));
  }
  const got = reg.get('build_seconds');
  assert.deepEqual(got, { name: 'build_seconds', type: 'meter', ...oracle(values) });
  const w = welford(values);
  assert.ok(Math.abs((got?.mean ?? 0) - w.mean) / w.mean < 1e-12);
  assert.ok(Math.abs((got?.stddev ?? 0) - w.stddev) / w.stddev < 1e-9);
});

test('arrival order does not change any figure', () => {
  const rand = rng(7);
  const values = Array.from({ length: 1001 }, () => rand() * 1000);
  const a = new MeterRegistry();
  const b = new MeterRegistry();
  a.apply(samples('m', values));
  b.apply(samples('m', [...values].reverse()));
  assert.deepEqual(a.get('m'), b.get('m'));
});

test('one sample, two samples, ties, hand-checked values', () => {
  const reg = new MeterRegistry();
  reg.apply(samples('one', [52.3]));
  assert.deepEqual(reg.get('one'), {
    name: 'one',
    type: 'meter',
    count: 1,
    min: 52.3,
    max: 52.3,
    mean: 52.3,
    stddev: 0,
    p50: 52.3,
    p90: 52.3,
    p99: 52.3,
  });
  reg.apply(samples('two', [10, 20]));
  const two = reg.get('two');
  assert.equal(two?.mean, 15);
  assert.equal(two?.stddev, 5);
  assert.equal(two?.p50, 15);
  // h = 0.9: 10 + 0.9 * 10; h = 0.99: 10 + 0.99 * 10
  assert.equal(two?.p90, 10 + 0.9 * 10);
  assert.equal(two?.p99, 10 + 0.99 * 10);
  reg.apply(samples('ties', [3, 1, 3, 3, 2, 3]));
  assert.deepEqual(reg.get('ties'), { name: 'ties', type: 'meter', ...oracle([3, 1, 3, 3, 2, 3]) });
  assert.equal(reg.get('ties')?.p50, 3);
  // [1, 2, 3, 4]: p50 2.5, p90 h=2.7 -> 3.7 (numpy.percentile gives the same)
  reg.apply(samples('four', [4, 2, 1, 3]));
  assert.equal(reg.get('four')?.p50, 2.5);
  assert.ok(Math.abs((reg.get('four')?.p90 ?? 0) - 3.7) < 1e-12);
});

test('counters sum their increments, have null statistics, and stay separate from meters', () => {
  const reg = new MeterRegistry();
  reg.apply([
    { meter: 'build_failures', kind: 'count', value: 1 },
    { meter: 'build_failures', kind: 'count', value: 2 },
    { meter: 'build_seconds', kind: 'sample', value: 4 },
  ]);
  reg.apply([{ meter: 'build_failures', kind: 'count', value: 1 }]);
  assert.deepEqual(reg.get('build_failures'), {
    name: 'build_failures',
    type: 'counter',
    count: 4,
    min: null,
    max: null,
    mean: null,
    stddev: null,
    p50: null,
    p90: null,
    p99: null,
  });
  assert.deepEqual(reg.names(), ['build_failures', 'build_seconds']);
  assert.deepEqual(
    reg.snapshot().map((m) => [m.name, m.type, m.count]),
    [
      ['build_failures', 'counter', 4],
      ['build_seconds', 'meter', 1],
    ],
  );
  assert.equal(reg.get('nothing'), undefined);
});

test('a batch that mixes a meter and a counter name, or has a bad value, is refused whole', () => {
  const reg = new MeterRegistry();
  reg.apply(samples('m', [1]));
  assert.throws(
    () =>
      reg.apply([
        { meter: 'm', kind: 'sample', value: 2 },
        { meter: 'm', kind: 'count', value: 1 },
      ]),
    (e: unknown) =>
      e instanceof MeterRegistryError && /"m" is a meter and cannot also be a counter/.test(e.message),
  );
  assert.throws(
    () =>
      reg.apply([
        { meter: 'x', kind: 'count', value: 1 },
        { meter: 'x', kind: 'sample', value: 1 },
      ]),
    MeterRegistryError,
  );
  assert.throws(
    () =>
      reg.apply([
        { meter: 'm', kind: 'sample', value: 3 },
        { meter: 'z', kind: 'sample', value: Infinity },
      ]),
    /finite/,
  );
  assert.equal(reg.get('m')?.count, 1);
  assert.equal(reg.get('x'), undefined);
});

test('snapshot is sorted by name and figures update after new samples (cache invalidated)', () => {
  const changes: (readonly string[])[] = [];
  const reg = new MeterRegistry({ onChange: (names) => changes.push(names) });
  reg.apply([...samples('zeta', [1]), ...samples('alpha', [2]), { meter: 'mid', kind: 'count', value: 1 }]);
  assert.deepEqual(
    reg.snapshot().map((m) => m.name),
    ['alpha', 'mid', 'zeta'],
  );
  assert.equal(reg.get('zeta')?.max, 1);
  reg.apply(samples('zeta', [9]));
  assert.equal(reg.get('zeta')?.max, 9);
  assert.equal(reg.get('zeta')?.mean, 5);
  reg.apply([]);
  assert.deepEqual(changes, [['alpha', 'mid', 'zeta'], ['zeta']]);
});
