/**
 * The summary statistics of a meter, defined exactly so that any other part of
 * waymark (the analysis module's phase reports) computes the very same numbers
 * from the same samples. Everything is IEEE-754 double arithmetic, in this order:
 *
 * 1. Sort the samples ascending: `x[0] <= x[1] <= ... <= x[n-1]`.
 * 2. `count = n`, `min = x[0]`, `max = x[n-1]`.
 * 3. `sum = ((x[0] + x[1]) + x[2]) + ...` left to right over the **sorted**
 *    samples; `mean = sum / n`.
 * 4. Population variance, two-pass: `ss = ((x[0] - mean)^2 + (x[1] - mean)^2) + ...`
 *    left to right over the sorted samples (each square computed as `d * d`);
 *    `stddev = Math.sqrt(ss / n)`. (`0` for one sample.)
 * 5. Percentiles by linear interpolation between closest ranks (Hyndman & Fan
 *    type 7: R's default, numpy's `linear`, DuckDB's `quantile_cont`):
 *    `h = (n - 1) * p`, `lo = floor(h)`,
 *    `q = x[lo] + (h - lo) * (x[lo + 1] - x[lo])` (just `x[lo]` when `lo = n - 1`),
 *    for `p` = 0.5, 0.9 and 0.99.
 *
 * Summing in sorted order makes the figures independent of arrival order, and
 * the two-pass variance is as stable as Welford's update while being
 * reproducible exactly (Welford's result depends on the order of the samples).
 */
export interface SampleStats {
  readonly count: number;
  readonly min: number;
  readonly max: number;
  readonly mean: number;
  readonly stddev: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
}

/**
 * Percentile `p` (0..1) of ascending-sorted samples, type 7 (see the module
 * comment). `NaN` for no samples.
 *
 * ```ts
 * quantileSorted([1, 2, 3, 4], 0.5); // 2.5
 * quantileSorted([1, 2, 3, 4], 0.9); // 3.7 (h = 2.7: 3 + 0.7 * (4 - 3))
 * ```
 */
export function quantileSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const h = (n - 1) * p;
  const lo = Math.floor(h);
  const x = sorted[lo] as number;
  if (lo + 1 >= n) return x;
  return x + (h - lo) * ((sorted[lo + 1] as number) - x);
}

/**
 * Count, min, max, mean, population std dev and p50/p90/p99 of ascending-sorted
 * samples, exactly as the module comment defines them; `undefined` for none.
 *
 * ```ts
 * describeSorted(Float64Array.from([3, 1, 2]).sort()); // { count: 3, min: 1, max: 3, mean: 2, stddev: 0.816…, p50: 2, … }
 * ```
 */
export function describeSorted(sorted: ArrayLike<number>): SampleStats | undefined {
  const n = sorted.length;
  if (n === 0) return undefined;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += sorted[i] as number;
  const mean = sum / n;
  let ss = 0;
  for (let i = 0; i < n; i++) {
    const d = (sorted[i] as number) - mean;
    ss += d * d;
  }
  return {
    count: n,
    min: sorted[0] as number,
    max: sorted[n - 1] as number,
    mean,
    stddev: Math.sqrt(ss / n),
    p50: quantileSorted(sorted, 0.5),
    p90: quantileSorted(sorted, 0.9),
    p99: quantileSorted(sorted, 0.99),
  };
}
