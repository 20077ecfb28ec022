import { WaymarkError } from '../model/errors.js';
import { HistogramLayout } from './histogram-layout.js';

/** What a histogram comes to: observations, their sum, extremes and percentiles (null when empty). */
export interface HistogramSummary {
  count: number;
  sum: number;
  min: number | null;
  max: number | null;
  p50: number | null;
  p90: number | null;
  p99: number | null;
}

/**
 * The counts of a histogram at one moment (read from a file, or merged from
 * several), with percentiles.
 *
 * Percentiles use the nearest rank: the `q`-th percentile is an estimate of the
 * smallest observation `x` with at least `ceil(q·count)` observations `<= x`:
 * the midpoint of the bucket that holds that rank, clamped to `[min, max]`.
 * For a bucket inside the layout's range the estimate is within `1/(2S)` of `x`
 * relative to `x` (S sub-buckets per power of two: 3.1%, 0.39%, 0.049% for
 * precision 1, 2, 3). A rank in the underflow or overflow bucket is estimated
 * inside `[min, 2^eMin]` or `[2^(eMax+1), max]`, with no relative bound.
 *
 * @example
 * const merged = a.merge(b); merged.percentile(0.99);
 */
export class HistogramSnapshot {
  constructor(
    readonly layout: HistogramLayout,
    /** Observations per bucket, `layout.bucketCount` of them. */
    readonly counts: Float64Array,
    /** Observations, from the file's summary (the buckets may be a little ahead or behind while written). */
    readonly count: number,
    readonly sum: number,
    /** Smallest and largest observation; meaningless when `count` is 0. */
    readonly min: number,
    readonly max: number,
  ) {
    if (counts.length !== layout.bucketCount) {
      throw new WaymarkError(
        `histogram: ${counts.length} counts for a layout of ${layout.bucketCount} buckets`,
      );
    }
  }

  /** An empty snapshot of `layout`. */
  static empty(layout: HistogramLayout): HistogramSnapshot {
    return new HistogramSnapshot(layout, new Float64Array(layout.bucketCount), 0, 0, Infinity, -Infinity);
  }

  /** Observations in the buckets. */
  get bucketTotal(): number {
    let n = 0;
    for (const c of this.counts) n += c;
    return n;
  }

  /** The nearest-rank `q`-th quantile estimate (`q` in [0, 1]), or null when empty. */
  percentile(q: number): number | null {
    if (!(q >= 0 && q <= 1)) throw new WaymarkError(`histogram: a quantile must be in [0, 1], got ${q}`);
    const total = this.bucketTotal;
    if (total === 0) return null;
    const rank = Math.min(total, Math.max(1, Math.ceil(q * total)));
    let seen = 0;
    let i = 0;
    for (; i < this.counts.length; i++) {
      seen += this.counts[i] ?? 0;
      if (seen >= rank) break;
    }
    const hasRange = this.count > 0 && this.min <= this.max;
    let lo = this.layout.lower(i);
    let hi = this.layout.upper(i);
    if (hasRange) {
      lo = Math.max(lo, this.min);
      hi = Math.min(hi, this.max);
      if (lo > hi) return lo === this.min ? this.min : this.max; // summary and buckets out of step
    }
    if (!Number.isFinite(lo)) lo = Number.isFinite(hi) ? Math.min(hi, 0) : 0;
    if (!Number.isFinite(hi)) hi = lo;
    return (lo + hi) / 2;
  }

  /** count, sum, min, max, p50, p90, p99. */
  summary(): HistogramSummary {
    const empty = this.count === 0 || this.min > this.max;
    return {
      count: this.count,
      sum: this.sum,
      min: empty ? null : this.min,
      max: empty ? null : this.max,
      p50: this.percentile(0.5),
      p90: this.percentile(0.9),
      p99: this.percentile(0.99),
    };
  }

  /**
   * Add two histograms. Same layouts add bucket by bucket (exact). Different
   * layouts meet on the coarsest common one: the fewer sub-buckets, the higher
   * eMin and the lower eMax; buckets outside it fold into underflow/overflow.
   */
  merge(other: HistogramSnapshot): HistogramSnapshot {
    const a = this.layout;
    const b = other.layout;
    const layout = a.equals(b)
      ? a
      : new HistogramLayout(Math.max(a.eMin, b.eMin), Math.min(a.eMax, b.eMax), Math.min(a.k, b.k));
    const counts = new Float64Array(layout.bucketCount);
    addInto(counts, layout, this);
    addInto(counts, layout, other);
    return new HistogramSnapshot(
      layout,
      counts,
      this.count + other.count,
      this.sum + other.sum,
      Math.min(this.min, other.min),
      Math.max(this.max, other.max),
    );
  }
}

/** Add `from`'s counts into `counts` of the (equal or coarser, narrower) `layout`. */
function addInto(counts: Float64Array, layout: HistogramLayout, from: HistogramSnapshot): void {
  const src = from.layout;
  if (src.equals(layout)) {
    for (let i = 0; i < counts.length; i++) counts[i] = (counts[i] ?? 0) + (from.counts[i] ?? 0);
    return;
  }
  const shift = src.k - layout.k;
  const last = layout.bucketCount - 1;
  for (let i = 0; i < from.counts.length; i++) {
    const c = from.counts[i] ?? 0;
    if (c === 0) continue;
    let to: number;
    if (i === 0) to = 0;
    else if (i === from.counts.length - 1) to = last;
    else {
      const idx = i - 1;
      const e = src.eMin + Math.floor(idx / src.subBuckets);
      const j = idx % src.subBuckets;
      // A coarser sub-bucket holds whole finer ones: (L, U] nests.
      if (e < layout.eMin) to = 0;
      else if (e > layout.eMax) to = last;
      else to = 1 + (e - layout.eMin) * layout.subBuckets + Math.floor(j / 2 ** shift);
    }
    counts[to] = (counts[to] ?? 0) + c;
  }
}
