/**
 * A percentile histogram field (format version 2 only): log-linear buckets of
 * uint64 counts plus a double-buffered count/sum/min/max summary, written with
 * typed-array stores into the mapped file — no allocation, no system call.
 */
import { WaymarkError } from '../model/errors.js';
import type { FieldSlot, FieldSpec } from './fields.js';
import { HISTOGRAM_TYPE } from './format.js';
import { HistogramLayout, type HistogramOptions } from './histogram-layout.js';
import { HistogramSnapshot } from './histogram-snapshot.js';

const TWO_32 = 4294967296;
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
/** One double and its two 32-bit halves, to read a value's exponent and mantissa bits. */
const BITS = new Float64Array(1);
const WORDS = new Uint32Array(BITS.buffer);

/**
 * Observations of a value (durations, sizes) with percentiles. Readers merge
 * the buckets of every file and compute p50/p90/p99 (see
 * {@link HistogramSnapshot.percentile} for the error bound).
 */
export class Histogram {
  private readonly counts: Uint32Array;
  private readonly summary: Float64Array;
  private readonly summaryWords: Uint32Array;
  private readonly wbByte: Uint8Array;
  private wb = 0;
  private n = 0;
  private total = 0;
  private lo = Infinity;
  private hi = -Infinity;
  // Copies of the layout as plain fields, for the hot path.
  private readonly low: number;
  private readonly high: number;
  private readonly last: number;
  private readonly expBase: number;
  private readonly k: number;
  private readonly shift: number;
  private readonly edgeMask: number;

  constructor(
    slot: FieldSlot,
    readonly layout: HistogramLayout,
  ) {
    if (!LITTLE_ENDIAN) throw new WaymarkError('histogram: big-endian hosts are not supported');
    const { view, valueOffset } = slot;
    view.setInt16(valueOffset, layout.eMin, true);
    view.setInt16(valueOffset + 2, layout.eMax, true);
    view.setUint8(valueOffset + 4, layout.k);
    view.setUint8(slot.wbOffset, 0);
    const at = view.byteOffset;
    const where = layout.offsets(valueOffset);
    if ((at + where.summary) % 8 !== 0)
      throw new WaymarkError('histogram: the mapping is not 8-byte aligned');
    this.summary = new Float64Array(view.buffer, at + where.summary, 8);
    this.summaryWords = new Uint32Array(view.buffer, at + where.summary, 16);
    this.counts = new Uint32Array(view.buffer, at + where.counts, 2 * layout.bucketCount);
    this.wbByte = new Uint8Array(view.buffer, at + slot.wbOffset, 1);
    this.low = layout.low;
    this.high = layout.high;
    this.last = layout.bucketCount - 1;
    this.expBase = layout.eMin + 1023;
    this.k = layout.k;
    this.shift = 20 - layout.k;
    this.edgeMask = 2 ** this.shift - 1;
  }

  /**
   * Count one observation. NaN is ignored. Cost: a few typed-array loads and
   * stores; no allocation, no system call. After `close()` the mapping is
   * detached and typed-array stores into it are no-ops: it goes nowhere.
   */
  observe(v: number): void {
    let i: number;
    if (v <= this.low) i = 0;
    else if (v > this.high) i = this.last;
    else if (v === v) {
      BITS[0] = v;
      const hi = WORDS[1]!;
      i = 1 + (((hi >>> 20) - this.expBase) << this.k) + ((hi & 0xfffff) >>> this.shift);
      // On a bucket's lower edge (all lower mantissa bits zero): the bucket below, buckets being (L, U].
      if (WORDS[0] === 0 && (hi & this.edgeMask) === 0) i -= 1;
    } else return; // NaN
    const counts = this.counts;
    const c = counts[2 * i]! + 1;
    if (c === TWO_32) {
      counts[2 * i + 1]! += 1;
      counts[2 * i] = 0;
    } else counts[2 * i] = c;

    const n = (this.n += 1);
    this.total += v;
    if (v < this.lo) this.lo = v;
    if (v > this.hi) this.hi = v;
    const b = this.wb << 2;
    const low32 = n >>> 0;
    this.summaryWords[2 * b] = low32;
    this.summaryWords[2 * b + 1] = (n - low32) / TWO_32;
    const s = this.summary;
    s[b + 1] = this.total;
    s[b + 2] = this.lo;
    s[b + 3] = this.hi;
    this.wb ^= 1;
    this.wbByte[0] = this.wb;
  }

  /** Run `fn` and observe how long it took in seconds (until its promise settles, if it returns one). */
  time<T>(fn: () => T): T {
    const t0 = performance.now();
    let result: T;
    try {
      result = fn();
    } catch (err) {
      this.observe((performance.now() - t0) / 1000);
      throw err;
    }
    if (result instanceof Promise) {
      return result.finally(() => this.observe((performance.now() - t0) / 1000)) as T;
    }
    this.observe((performance.now() - t0) / 1000);
    return result;
  }

  /** Start timing; call the returned function to observe the seconds elapsed. */
  start(): () => void {
    const t0 = performance.now();
    return () => this.observe((performance.now() - t0) / 1000);
  }

  /** Observations so far (this writer's, not the merged files'). */
  get count(): number {
    return this.n;
  }
  get sum(): number {
    return this.total;
  }

  /** A copy of this writer's counts with percentiles (allocates; not for the hot path). Empty after `close()`. */
  snapshot(): HistogramSnapshot {
    if (this.counts.length === 0) return HistogramSnapshot.empty(this.layout); // closed: unmapped
    const counts = new Float64Array(this.layout.bucketCount);
    for (let i = 0; i < counts.length; i++) {
      counts[i] = (this.counts[2 * i] ?? 0) + (this.counts[2 * i + 1] ?? 0) * TWO_32;
    }
    return new HistogramSnapshot(this.layout, counts, this.n, this.total, this.lo, this.hi);
  }
}

/**
 * A histogram field: `observe(v)`, `time(fn)`, `start()`. A file holding one
 * is written in format version 2 (Python's mmstats reads version 1 only).
 *
 * @example
 * const s = stats({ prefix: 'pipeline.', fields: { build: histogram('build_seconds', { lowest: 1e-6, highest: 86400, precision: 2 }) } });
 * s.build.observe(52.3);
 */
export function histogram(label: string, options: HistogramOptions = {}): FieldSpec<Histogram> {
  if (typeof label !== 'string' || label === '')
    throw new WaymarkError('a stats field needs a non-empty label');
  const layout = HistogramLayout.fromOptions(options);
  return {
    kind: 'histogram',
    label,
    type: HISTOGRAM_TYPE,
    buffered: true,
    metric: 'histogram',
    v2Only: true,
    payloadSize: (at: number) => layout.offsets(at).end - at,
    create: (slot) => new Histogram(slot, layout),
  };
}
