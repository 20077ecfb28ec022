/**
 * stats: what publishing costs. A counter `incr()` into the mapped mmstats file
 * against the same-run baseline of a plain typed-array store in the same loop.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { counter, double, stats } from '../src/stats/index.js';
import { opsPerSecond, type BenchFigure, type BenchSuite } from './lib.js';

const N = 1_000_000;

const suite: BenchSuite = {
  title: 'stats',
  run() {
    const dir = mkdtempSync(join(tmpdir(), 'waymark-bench-stats-'));
    try {
      const s = stats({
        path: dir,
        filename: 'bench.mmstats',
        fields: { hits: counter('hits'), last: double('last') },
      });
      const f64 = new Float64Array(4);
      const u64 = new BigUint64Array(4);
      const plain = opsPerSecond(N, () => {
        for (let i = 0; i < N; i++) f64[1] = (f64[1] ?? 0) + 1;
        return f64[1];
      });
      const big = opsPerSecond(N, () => {
        for (let i = 0; i < N; i++) u64[1] = (u64[1] ?? 0n) + 1n;
        return u64[1];
      });
      const incr = opsPerSecond(N, () => {
        for (let i = 0; i < N; i++) s.hits.incr();
        return s.hits.value;
      });
      const set = opsPerSecond(N, () => {
        for (let i = 0; i < N; i++) s.last.set(i);
        return s.last.value;
      });
      s.close();
      const figures: BenchFigure[] = [
        {
          name: 'counter incr() into the mapped file',
          value: incr,
          unit: 'ops/s',
          baseline: { name: 'Float64Array store', value: plain },
          target: 'about a typed-array store',
          notes: `BigUint64Array += 1n: ${Math.round(big).toLocaleString('en-US')} ops/s`,
        },
        {
          name: 'double gauge set() into the mapped file',
          value: set,
          unit: 'ops/s',
          baseline: { name: 'Float64Array store', value: plain },
        },
      ];
      return Promise.resolve(figures);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
export default suite;
