/**
 * The field kinds a stats file publishes. A spec (from `counter()`, `double()`
 * ...) says what to lay out; the writer it builds stores into the mapping with
 * DataView stores only — no allocation, no system call per update.
 */
import { WaymarkError } from '../model/errors.js';
import { DEFAULT_STRING_SIZE, valueSize, type MetricType } from './format.js';

const TWO_32 = 4294967296;

/** Where a field's value(s) live in the mapped file; rebound to scratch memory on close. */
export class FieldSlot {
  constructor(
    public view: DataView,
    /** Offset of the write-buffer byte. */
    readonly wbOffset: number,
    /** Offset of the first value. */
    readonly valueOffset: number,
    readonly size: number,
  ) {}
}

/** What to lay out for a field, and how to build its writer. */
export interface FieldSpec<W = unknown> {
  readonly kind: string;
  readonly label: string;
  /** The struct format, e.g. `Q`, `d`, `32s`. */
  readonly type: string;
  readonly buffered: boolean;
  /** What it measures; a version-2 file records it, version 1 readers infer it from the type. */
  readonly metric: MetricType;
  /** Only a version-2 file can hold it (a histogram). */
  readonly v2Only?: boolean;
  /**
   * The bytes after the write-buffer byte, for a payload starting at file
   * offset `at` (default: one value, or two when buffered).
   */
  payloadSize?(at: number): number;
  /** Builds the writer over its slot (the value bytes are zero at that point). */
  create(slot: FieldSlot): W;
}

function checkLabel(label: string): string {
  if (typeof label !== 'string' || label === '')
    throw new WaymarkError('a stats field needs a non-empty label');
  return label;
}

/**
 * A double-buffered value: write into buffer [wb], then flip wb, so a reader
 * (which reads [wb ^ 1]) never sees a half-written value.
 */
abstract class Buffered {
  protected wb = 0;
  constructor(protected readonly slot: FieldSlot) {
    slot.view.setUint8(slot.wbOffset, 0);
  }
  /** The offset to write the next value at. */
  protected next(): number {
    return this.slot.valueOffset + this.wb * this.slot.size;
  }
  protected flip(): void {
    this.wb ^= 1;
    this.slot.view.setUint8(this.slot.wbOffset, this.wb);
  }
}

function writeU64(view: DataView, at: number, v: number): void {
  const hi = Math.floor(v / TWO_32);
  view.setUint32(at, v - hi * TWO_32, true);
  view.setUint32(at + 4, hi, true);
}

function writeI64(view: DataView, at: number, v: number): void {
  const hi = Math.floor(v / TWO_32);
  view.setUint32(at, v - hi * TWO_32, true);
  view.setInt32(at + 4, hi, true);
}

/** A monotonically increasing `Q` counter. */
export class Counter extends Buffered {
  private count = 0;
  /** Add `n` (default 1). Exact up to 2^53. */
  incr(n = 1): void {
    const v = (this.count += n);
    const view = this.slot.view;
    const at = this.slot.valueOffset + this.wb * 8;
    const hi = Math.floor(v / TWO_32);
    view.setUint32(at, v - hi * TWO_32, true);
    view.setUint32(at + 4, hi, true);
    this.wb ^= 1;
    view.setUint8(this.slot.wbOffset, this.wb);
  }
  get value(): number {
    return this.count;
  }
}

type GaugeType = 'i' | 'I' | 'f' | 'd' | 'q' | 'Q';

/** A buffered value that is set (int, uint, float, double, int64, uint64). */
export class Gauge extends Buffered {
  private current = 0;
  constructor(
    slot: FieldSlot,
    private readonly type: GaugeType,
  ) {
    super(slot);
  }
  set(v: number): void {
    this.current = v;
    const at = this.next();
    const view = this.slot.view;
    switch (this.type) {
      case 'd':
        view.setFloat64(at, v, true);
        break;
      case 'f':
        view.setFloat32(at, v, true);
        break;
      case 'i':
        view.setInt32(at, v, true);
        break;
      case 'I':
        view.setUint32(at, v, true);
        break;
      case 'q':
        writeI64(view, at, Math.trunc(v));
        break;
      case 'Q':
        writeU64(view, at, Math.max(0, Math.trunc(v)));
        break;
    }
    this.flip();
  }
  get value(): number {
    return this.current;
  }
}

/** The running mean of every value added (`d`). */
export class Average extends Buffered {
  private total = 0;
  private count = 0;
  add(x: number): void {
    this.total += x;
    this.count += 1;
    this.slot.view.setFloat64(this.next(), this.total / this.count, true);
    this.flip();
  }
  get value(): number {
    return this.count === 0 ? 0 : this.total / this.count;
  }
}

/** The mean of the last `window` values added (`d`). */
export class MovingAverage extends Buffered {
  private readonly ring: Float64Array;
  private filled = 0;
  private at = 0;
  private sum = 0;
  constructor(slot: FieldSlot, window: number) {
    super(slot);
    this.ring = new Float64Array(window);
  }
  add(x: number): void {
    const old = this.ring[this.at] ?? 0;
    this.ring[this.at] = x;
    this.at = (this.at + 1) % this.ring.length;
    if (this.filled < this.ring.length) {
      this.filled += 1;
      this.sum += x;
    } else {
      this.sum += x - old;
    }
    // Recompute exactly once per lap so float drift cannot accumulate.
    if (this.at === 0) this.sum = this.ring.reduce((a, b) => a + b, 0);
    this.slot.view.setFloat64(this.next(), this.sum / this.filled, true);
    this.flip();
  }
  get value(): number {
    return this.filled === 0 ? 0 : this.sum / this.filled;
  }
}

/** A moving average of durations in seconds, with `time(fn)` for sync and async work. */
export class Timer extends MovingAverage {
  /** Run `fn`, add how long it took (until its promise settles, if it returns one). */
  time<T>(fn: () => T): T {
    const t0 = performance.now();
    let result: T;
    try {
      result = fn();
    } catch (err) {
      this.add((performance.now() - t0) / 1000);
      throw err;
    }
    if (result instanceof Promise) {
      const done = (): void => this.add((performance.now() - t0) / 1000);
      return result.finally(done) as T;
    }
    this.add((performance.now() - t0) / 1000);
    return result;
  }
  /** Start timing; call the returned function when the work is done. */
  start(): () => void {
    const t0 = performance.now();
    return () => this.add((performance.now() - t0) / 1000);
  }
}

/** An unbuffered `?` flag. */
export class Flag {
  private current = false;
  constructor(private readonly slot: FieldSlot) {}
  set(v: boolean): void {
    this.current = v;
    this.slot.view.setUint8(this.slot.valueOffset, v ? 1 : 0);
  }
  get value(): boolean {
    return this.current;
  }
}

/** Write `text` NUL-padded into `size` bytes, truncated on a character boundary. */
function writeString(slot: FieldSlot, text: string): void {
  const { view, valueOffset, size } = slot;
  const bytes = new Uint8Array(view.buffer, view.byteOffset + valueOffset, size);
  const { written } = new TextEncoder().encodeInto(text, bytes);
  bytes.fill(0, written);
}

/** An unbuffered `<n>s` string, NUL-padded UTF-8, truncated on a character boundary. */
export class Text {
  private current = '';
  constructor(private readonly slot: FieldSlot) {}
  set(v: string): void {
    this.current = v;
    writeString(this.slot, v);
  }
  get value(): string {
    return this.current;
  }
}

/** A value written once at creation. */
export class Static {
  constructor(readonly value: string | number | boolean) {}
}

const METRIC_OF_KIND: Readonly<Record<string, MetricType>> = {
  counter: 'counter',
  bool: 'info',
  string: 'info',
  static: 'info',
};

function spec<W>(
  kind: string,
  label: string,
  type: string,
  buffered: boolean,
  create: (s: FieldSlot) => W,
): FieldSpec<W> {
  return { kind, label: checkLabel(label), type, buffered, metric: METRIC_OF_KIND[kind] ?? 'gauge', create };
}

function checkWindow(window: number): number {
  if (!Number.isSafeInteger(window) || window < 1) {
    throw new WaymarkError(`a moving average window must be an integer >= 1, got ${window}`);
  }
  return window;
}

/** A `Q` counter: `incr(n = 1)`. @example counter('status.2XX') */
export const counter = (label: string): FieldSpec<Counter> =>
  spec('counter', label, 'Q', true, (s) => new Counter(s));
/** An `i` (int32) gauge: `set(v)`. */
export const int = (label: string): FieldSpec<Gauge> =>
  spec('int', label, 'i', true, (s) => new Gauge(s, 'i'));
/** An `I` (uint32) gauge. */
export const uint = (label: string): FieldSpec<Gauge> =>
  spec('uint', label, 'I', true, (s) => new Gauge(s, 'I'));
/** An `f` (float32) gauge. */
export const float = (label: string): FieldSpec<Gauge> =>
  spec('float', label, 'f', true, (s) => new Gauge(s, 'f'));
/** A `d` (float64) gauge. @example double('timers.last_hit') */
export const double = (label: string): FieldSpec<Gauge> =>
  spec('double', label, 'd', true, (s) => new Gauge(s, 'd'));
/** A `q` (int64) gauge; exact within ±2^53. */
export const int64 = (label: string): FieldSpec<Gauge> =>
  spec('int64', label, 'q', true, (s) => new Gauge(s, 'q'));
/** A `Q` (uint64) gauge; exact up to 2^53. */
export const uint64 = (label: string): FieldSpec<Gauge> =>
  spec('uint64', label, 'Q', true, (s) => new Gauge(s, 'Q'));
/** An unbuffered `?` bool. */
export const bool = (label: string): FieldSpec<Flag> => spec('bool', label, '?', false, (s) => new Flag(s));

function checkSize(size: number): number {
  if (!Number.isSafeInteger(size) || size < 1 || size > 65535) {
    throw new WaymarkError(`a string field's size must be an integer from 1 to 65535 bytes, got ${size}`);
  }
  return size;
}

/** An unbuffered `<size>s` string (default 255 bytes). @example string('service.name', 32) */
export const string = (label: string, size = DEFAULT_STRING_SIZE): FieldSpec<Text> =>
  spec('string', label, `${checkSize(size)}s`, false, (s) => new Text(s));
/** A `d` running mean: `add(x)`. */
export const average = (label: string): FieldSpec<Average> =>
  spec('average', label, 'd', true, (s) => new Average(s));
/** A `d` mean of the last `window` values (default 100, as mmstats): `add(x)`. */
export const movingAverage = (label: string, window = 100): FieldSpec<MovingAverage> => {
  const w = checkWindow(window);
  return spec('movingAverage', label, 'd', true, (s) => new MovingAverage(s, w));
};
/** A moving average of durations in seconds: `time(fn)`, `start()`, `add(seconds)`. */
export const timer = (label: string, window = 100): FieldSpec<Timer> => {
  const w = checkWindow(window);
  return spec('timer', label, 'd', true, (s) => new Timer(s, w));
};

/** The struct types a static field may take. */
export type StaticType = 'Q' | 'q' | 'I' | 'i' | 'H' | 'h' | 'B' | 'b' | '?' | 'f' | 'd' | `${number}s`;

/**
 * An unbuffered value set once at creation. The type defaults to `d` for a
 * number, `?` for a boolean, `255s` for a string.
 * @example staticField('service.version', '1.2.0')
 */
export function staticField(
  label: string,
  value: string | number | boolean,
  type?: StaticType,
): FieldSpec<Static> {
  const t =
    type ?? (typeof value === 'string' ? `${DEFAULT_STRING_SIZE}s` : typeof value === 'boolean' ? '?' : 'd');
  if (valueSize(t) === undefined || (t.endsWith('s') && checkSize(valueSize(t) ?? 0) === 0)) {
    throw new WaymarkError(`static field ${label}: unknown type "${t}"`);
  }
  if (t.endsWith('s') !== (typeof value === 'string')) {
    throw new WaymarkError(`static field ${label}: type "${t}" does not fit a ${typeof value} value`);
  }
  return spec('static', label, t, false, (s) => {
    writeStatic(s, t, value);
    return new Static(value);
  });
}

function writeStatic(slot: FieldSlot, type: string, value: string | number | boolean): void {
  const { view, valueOffset: at } = slot;
  if (typeof value === 'string') return writeString(slot, value);
  const v = Number(value);
  switch (type) {
    case 'Q':
      return writeU64(view, at, Math.max(0, Math.trunc(v)));
    case 'q':
      return writeI64(view, at, Math.trunc(v));
    case 'I':
      return view.setUint32(at, v, true);
    case 'i':
      return view.setInt32(at, v, true);
    case 'H':
      return view.setUint16(at, v, true);
    case 'h':
      return view.setInt16(at, v, true);
    case 'B':
    case '?':
      return view.setUint8(at, v);
    case 'b':
      return view.setInt8(at, v);
    case 'f':
      return view.setFloat32(at, v, true);
    default:
      return view.setFloat64(at, v, true);
  }
}
