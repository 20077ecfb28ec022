import { WaymarkError } from '../model/errors.js';

/** How a histogram's buckets are chosen. */
export interface HistogramOptions {
  /** The smallest value counted with full precision (default 1e-6); smaller ones share one bucket. */
  lowest?: number;
  /** The largest value counted with full precision (default 86400); larger ones share one bucket. */
  highest?: number;
  /**
   * Significant decimal digits, as in HDR histograms (default 2): 1, 2 or 3
   * give 16, 128 or 1024 buckets per power of two, a bucket width of at most
   * 6.25%, 0.78% or 0.098% of its lower edge.
   */
  precision?: number;
}

/** Sub-bucket bits per precision digit: 2^k >= 10^precision. */
const BITS_OF_PRECISION: Readonly<Record<number, number>> = { 1: 4, 2: 7, 3: 10 };

const scratch = new DataView(new ArrayBuffer(8));

/** floor(log2(v)) of a positive normal double, exactly (from its exponent bits). */
function floorLog2(v: number): number {
  scratch.setFloat64(0, v);
  return ((scratch.getUint16(0) >>> 4) & 0x7ff) - 1023;
}

/**
 * The bucket layout of a log-linear histogram (HDR-style): every power of two
 * `[2^e, 2^(e+1))` from `2^eMin` to `2^(eMax+1)` is cut into `S = 2^k` equal
 * sub-buckets. Buckets are right-closed, as Prometheus' `le`:
 *
 * - bucket 0 (underflow) counts `v <= 2^eMin` (also 0 and negative values);
 * - bucket `1 + (e - eMin)·S + j` counts `2^e·(1 + j/S) < v <= 2^e·(1 + (j+1)/S)`;
 * - bucket `N - 1` (overflow) counts `v > 2^(eMax+1)` (also +Infinity),
 *
 * with `N = 2 + (eMax - eMin + 1)·S` buckets in all. Every edge is exact in
 * binary floating point, so another language computes the same buckets.
 */
export class HistogramLayout {
  /** Sub-buckets per power of two, `2^k`. */
  readonly subBuckets: number;
  /** Buckets in all, the underflow and overflow buckets included. */
  readonly bucketCount: number;
  /** `2^eMin`: the upper edge of the underflow bucket. */
  readonly low: number;
  /** `2^(eMax+1)`: the lower edge of the overflow bucket. */
  readonly high: number;

  constructor(
    readonly eMin: number,
    readonly eMax: number,
    readonly k: number,
  ) {
    if (!Number.isInteger(eMin) || !Number.isInteger(eMax) || eMin < -1022 || eMax > 1022 || eMin > eMax) {
      throw new WaymarkError(
        `histogram: exponents must satisfy -1022 <= eMin <= eMax <= 1022, got ${eMin}..${eMax}`,
      );
    }
    if (!Number.isInteger(k) || k < 0 || k > 20) {
      throw new WaymarkError(`histogram: sub-bucket bits must be an integer from 0 to 20, got ${k}`);
    }
    this.subBuckets = 2 ** k;
    this.bucketCount = 2 + (eMax - eMin + 1) * this.subBuckets;
    this.low = 2 ** eMin;
    this.high = 2 ** (eMax + 1);
  }

  /**
   * The layout covering `[lowest, highest]` with `precision` digits.
   * @example HistogramLayout.fromOptions({ lowest: 1e-6, highest: 86400, precision: 2 }) // eMin -20, eMax 16, k 7
   */
  static fromOptions(options: HistogramOptions = {}): HistogramLayout {
    const lowest = options.lowest ?? 1e-6;
    const highest = options.highest ?? 86400;
    const precision = options.precision ?? 2;
    if (!(Number.isFinite(lowest) && lowest >= 2 ** -1022)) {
      throw new WaymarkError(`histogram: lowest must be a positive number >= 2^-1022, got ${lowest}`);
    }
    if (!(Number.isFinite(highest) && highest > lowest && highest < 2 ** 1023)) {
      throw new WaymarkError(`histogram: highest must be a number above lowest (${lowest}), got ${highest}`);
    }
    const k = BITS_OF_PRECISION[precision];
    if (k === undefined)
      throw new WaymarkError(`histogram: precision must be 1, 2 or 3 digits, got ${precision}`);
    return new HistogramLayout(floorLog2(lowest), floorLog2(highest), k);
  }

  /** The lower (open) edge of bucket `i`; -Infinity for the underflow bucket. */
  lower(i: number): number {
    if (i <= 0) return -Infinity;
    if (i >= this.bucketCount - 1) return this.high;
    const idx = i - 1;
    return (
      2 ** (this.eMin + Math.floor(idx / this.subBuckets)) * (1 + (idx % this.subBuckets) / this.subBuckets)
    );
  }

  /** The upper (closed) edge of bucket `i`; +Infinity for the overflow bucket. */
  upper(i: number): number {
    if (i <= 0) return this.low;
    if (i >= this.bucketCount - 1) return Infinity;
    const idx = i - 1;
    return (
      2 ** (this.eMin + Math.floor(idx / this.subBuckets)) *
      (1 + ((idx % this.subBuckets) + 1) / this.subBuckets)
    );
  }

  /** The bucket `v` falls in (the reference computation; the writer's fast path agrees). NaN has none: -1. */
  index(v: number): number {
    if (Number.isNaN(v)) return -1;
    if (v <= this.low) return 0;
    if (v > this.high) return this.bucketCount - 1;
    const e = floorLog2(v);
    const pos = (v / 2 ** e - 1) * this.subBuckets; // exact: a power-of-two scaling, then a shift
    let j = Math.floor(pos);
    if (j === pos) j -= 1; // on a lower edge: the bucket below (right-closed buckets)
    return 1 + (e - this.eMin) * this.subBuckets + j;
  }

  /** The same buckets. */
  equals(other: HistogramLayout): boolean {
    return this.eMin === other.eMin && this.eMax === other.eMax && this.k === other.k;
  }

  /**
   * Where the parts of a histogram field's payload lie, for a payload that
   * starts at file offset `at` (just after the write-buffer byte): eMin (i16),
   * eMax (i16), k (u8), zero padding to a multiple of 8 from the start of the
   * file, two 32-byte summary buffers, then `N` uint64 counts.
   */
  offsets(at: number): { summary: number; counts: number; end: number } {
    const summary = (at + 5 + 7) & ~7;
    const counts = summary + 64;
    return { summary, counts, end: counts + 8 * this.bucketCount };
  }
}
