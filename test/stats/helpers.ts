import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';

/** A fresh temp dir removed after the test. */
export function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'waymark-stats-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The bytes of one field header + values, built by hand (independent of src/stats). */
export function fieldBytes(label: string, type: string, wb: number, values: Buffer): Buffer {
  const l = Buffer.from(label, 'utf8');
  const t = Buffer.from(type, 'ascii');
  const ls = Buffer.alloc(2);
  ls.writeUInt16LE(l.length);
  const ts = Buffer.alloc(2);
  ts.writeUInt16LE(t.length);
  return Buffer.concat([ls, l, ts, t, Buffer.from([wb]), values]);
}

/**
 * The bucket edges of a log-linear histogram, computed from the README's
 * definition (independent of src/stats): bucket 0 is (-inf, 2^eMin], bucket
 * 1 + (e - eMin)·S + j is (2^e + j·2^e/S, 2^e + (j+1)·2^e/S], the last is (2^(eMax+1), inf].
 */
export function bucketEdges(eMin: number, eMax: number, k: number): { lower: number; upper: number }[] {
  const S = Math.pow(2, k);
  const edges = [{ lower: -Infinity, upper: Math.pow(2, eMin) }];
  for (let e = eMin; e <= eMax; e++) {
    const base = Math.pow(2, e);
    for (let j = 0; j < S; j++)
      edges.push({ lower: base + (j * base) / S, upper: base + ((j + 1) * base) / S });
  }
  edges.push({ lower: Math.pow(2, eMax + 1), upper: Infinity });
  return edges;
}

/** The bucket of `v` by searching the edges (independent of src/stats). */
export function bucketOf(edges: readonly { lower: number; upper: number }[], v: number): number {
  const i = edges.findIndex((b) => v > b.lower && v <= b.upper);
  assert.ok(i >= 0, `no bucket for ${v}`);
  return i;
}

/** The nearest-rank q-quantile of some values: the smallest x with at least ceil(q·n) values <= x. */
export function nearestRank(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[rank - 1] as number;
}

/** A deterministic pseudo-random generator (mulberry32), so failures reproduce. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
