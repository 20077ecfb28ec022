import { readFileSync } from 'node:fs';
import { WaymarkError } from '../model/errors.js';
import {
  HISTOGRAM_TYPE,
  inferMetricV1,
  metricOfCode,
  MMSTATS_VERSION,
  MMSTATS_VERSION_2,
  UNBUFFERED,
  valueSize,
  type MetricType,
} from './format.js';
import { HistogramLayout } from './histogram-layout.js';
import { HistogramSnapshot } from './histogram-snapshot.js';

/** One field of a stats file as a reader sees it. */
export interface StatsField {
  label: string;
  /** The struct format, e.g. `Q`, `d`, `32s`, or `hist` for a histogram (v2). */
  type: string;
  buffered: boolean;
  /** From the file (v2), or inferred from the type (v1: a buffered `Q` is a counter). */
  metric: MetricType;
  /** 64-bit integers beyond 2^53 come back as bigint; a histogram as its snapshot. */
  value: number | bigint | boolean | string | HistogramSnapshot;
}

/** A v2 field this reader does not know (a newer writer's kind): skipped by its size, and said why. */
export interface SkippedField {
  label: string;
  type: string;
  reason: string;
}

/** A whole stats file. */
export interface ParsedStats {
  version: 1 | 2;
  fields: StatsField[];
  skipped: SkippedField[];
}

/** A stats file that is not a readable mmstats file; the message names the file and the problem. */
export class StatsFormatError extends WaymarkError {
  override name = 'StatsFormatError';
}

const utf8 = new TextDecoder('utf-8');
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
const TWO_32 = 4294967296;

function readValue(
  view: DataView,
  at: number,
  type: string,
  size: number,
): number | bigint | boolean | string {
  switch (type) {
    case 'Q': {
      const v = view.getBigUint64(at, true);
      return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
    }
    case 'q': {
      const v = view.getBigInt64(at, true);
      return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : v;
    }
    case 'I':
      return view.getUint32(at, true);
    case 'i':
      return view.getInt32(at, true);
    case 'H':
      return view.getUint16(at, true);
    case 'h':
      return view.getInt16(at, true);
    case 'B':
      return view.getUint8(at);
    case 'b':
      return view.getInt8(at);
    case '?':
      return view.getUint8(at) !== 0;
    case 'f':
      return view.getFloat32(at, true);
    case 'd':
      return view.getFloat64(at, true);
    default: {
      const bytes = new Uint8Array(view.buffer, view.byteOffset + at, size);
      const nul = bytes.indexOf(0);
      return utf8.decode(nul < 0 ? bytes : bytes.subarray(0, nul));
    }
  }
}

/** A cursor over a file's bytes that fails with messages naming the file, the byte and the problem. */
class Cursor {
  readonly view: DataView;
  /** The same bytes as a Buffer, for decoding ASCII text without a copy. */
  private readonly bytes: Buffer;
  at = 1;
  /** Where the current field must end (v2), else the end of the data. */
  limit: number;
  constructor(
    readonly data: Uint8Array,
    readonly name: string,
  ) {
    this.view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    this.bytes = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    this.limit = data.length;
  }
  /** `n` bytes at the cursor as text: ASCII straight from the bytes, else strict UTF-8 (null if invalid). */
  private text(n: number): string | null {
    const end = this.at + n;
    const bytes = this.bytes;
    let ascii = true;
    for (let i = this.at; i < end; i++) {
      if ((bytes[i] as number) > 0x7f) {
        ascii = false;
        break;
      }
    }
    if (ascii)
      return n === 1 ? String.fromCharCode(bytes[this.at] as number) : bytes.toString('latin1', this.at, end);
    try {
      return strictUtf8.decode(bytes.subarray(this.at, end));
    } catch {
      return null;
    }
  }
  fail(msg: string): never {
    throw new StatsFormatError(`${this.name}: ${msg}`);
  }
  need(n: number, what: string): void {
    if (this.at + n <= this.limit) return;
    if (this.limit < this.data.length) {
      this.fail(`${what} at byte ${this.at} needs ${n} bytes but its field ends at byte ${this.limit}`);
    }
    this.fail(
      `truncated: ${what} at byte ${this.at} needs ${n} bytes but the file ends at byte ${this.data.length}`,
    );
  }
  u8(what: string): number {
    this.need(1, what);
    return this.view.getUint8(this.at++);
  }
  u16(what: string): number {
    this.need(2, what);
    const v = this.view.getUint16(this.at, true);
    this.at += 2;
    return v;
  }
  /** The label, then the type, each after its u16 size. */
  labelAndType(): { label: string; type: string } {
    const labelSize = this.u16('a label size');
    if (labelSize === 0) this.fail(`empty label at byte ${this.at - 2}`);
    this.need(labelSize, `label (size ${labelSize})`);
    const label = this.text(labelSize);
    if (label === null)
      this.fail(`the label at byte ${this.at} is not valid UTF-8 (garbage or a corrupt file)`);
    this.at += labelSize;
    const typeSize = this.u16(`the type size of ${label}`);
    this.need(typeSize, `the type of ${label} (size ${typeSize})`);
    const type = this.text(typeSize) ?? utf8.decode(this.data.subarray(this.at, this.at + typeSize));
    this.at += typeSize;
    return { label, type };
  }
  /** A v1-style value: the write-buffer byte, then one value or two buffers. */
  simple(label: string, type: string, size: number): { buffered: boolean; value: StatsField['value'] } {
    const wb = this.u8(`the write-buffer byte of ${label}`);
    if (wb !== UNBUFFERED && wb > 1)
      this.fail(`field ${label} has a bad write-buffer byte ${wb} at byte ${this.at - 1}`);
    const buffered = wb !== UNBUFFERED;
    this.need(size * (buffered ? 2 : 1), `the value${buffered ? 's' : ''} of ${label}`);
    const valueAt = buffered ? this.at + (wb ^ 1) * size : this.at;
    this.at += size * (buffered ? 2 : 1);
    return { buffered, value: readValue(this.view, valueAt, type, size) };
  }
  /** A v2 histogram payload (layout in src/stats/README.md). */
  histogram(label: string): HistogramSnapshot {
    const wb = this.u8(`the write-buffer byte of ${label}`);
    if (wb > 1) this.fail(`histogram ${label} has a bad write-buffer byte ${wb} at byte ${this.at - 1}`);
    const payload = this.at;
    this.need(5, `the bucket layout of ${label}`);
    const v = this.view;
    let layout: HistogramLayout;
    try {
      layout = new HistogramLayout(
        v.getInt16(payload, true),
        v.getInt16(payload + 2, true),
        v.getUint8(payload + 4),
      );
    } catch (err) {
      this.fail(`histogram ${label} at byte ${payload}: ${(err as Error).message}`);
    }
    const where = layout.offsets(payload);
    this.need(where.end - payload, `the buckets of ${label} (${layout.bucketCount})`);
    const s = where.summary + (wb ^ 1) * 32;
    const count = v.getUint32(s, true) + v.getUint32(s + 4, true) * TWO_32;
    const counts = new Float64Array(layout.bucketCount);
    for (let i = 0, p = where.counts; i < counts.length; i++, p += 8) {
      counts[i] = v.getUint32(p, true) + v.getUint32(p + 4, true) * TWO_32;
    }
    this.at = where.end;
    const empty = count === 0;
    return new HistogramSnapshot(
      layout,
      counts,
      count,
      v.getFloat64(s + 8, true),
      empty ? Infinity : v.getFloat64(s + 16, true),
      empty ? -Infinity : v.getFloat64(s + 24, true),
    );
  }
}

function parseV1(c: Cursor): ParsedStats {
  const fields: StatsField[] = [];
  // A writer that filled the file exactly has no room for the end marker.
  while (c.at < c.data.length) {
    c.need(2, 'a label size');
    if (c.view.getUint16(c.at, true) === 0) break;
    const { label, type } = c.labelAndType();
    const size = valueSize(type);
    if (size === undefined)
      c.fail(`field ${label} has an unknown type ${JSON.stringify(type)} at byte ${c.at - type.length}`);
    const { buffered, value } = c.simple(label, type, size);
    fields.push({ label, type, buffered, metric: inferMetricV1(type, buffered), value });
  }
  return { version: 1, fields, skipped: [] };
}

function parseV2(c: Cursor): ParsedStats {
  const fields: StatsField[] = [];
  const skipped: SkippedField[] = [];
  const length = c.data.length;
  while (c.at < length) {
    c.limit = length;
    const start = c.at;
    c.need(4, 'a field size');
    const fieldSize = c.view.getUint32(start, true);
    if (fieldSize === 0) break;
    if (fieldSize < 10) c.fail(`the field at byte ${start} has a bad size ${fieldSize} (at least 10)`);
    c.need(fieldSize, `a field of ${fieldSize} bytes`);
    c.limit = start + fieldSize;
    c.at = start + 4;
    const { label, type } = c.labelAndType();
    const code = c.u8(`the metric type of ${label}`);
    const metric = metricOfCode(code);
    const size = valueSize(type);
    if (metric === undefined) {
      skipped.push({ label, type, reason: `unknown metric type ${code}` });
    } else if (type === HISTOGRAM_TYPE) {
      fields.push({ label, type, buffered: true, metric: 'histogram', value: c.histogram(label) });
    } else if (size === undefined) {
      skipped.push({ label, type, reason: `unknown type ${JSON.stringify(type)}` });
    } else {
      fields.push({ label, type, metric, ...c.simple(label, type, size) });
    }
    c.at = start + fieldSize;
  }
  return { version: 2, fields, skipped };
}

/**
 * Parse an mmstats file of version 1 (Python's mmstats, waymark's default) or
 * 2 (waymark's extension, with metric types and histograms): every field with
 * the value a reader should see (buffer `[wb ^ 1]` for buffered fields). Throws
 * {@link StatsFormatError} naming `name` and the problem for an unknown version
 * or a corrupt file; unknown v2 field kinds are skipped and listed.
 *
 * @example
 * const { version, fields } = parseStatsFile(readFileSync(path), path);
 */
export function parseStatsFile(data: Uint8Array, name = 'stats file'): ParsedStats {
  const c = new Cursor(data, name);
  if (data.length === 0) c.fail('empty file, not an mmstats file');
  const version = data[0] ?? 0;
  if (version === MMSTATS_VERSION) return parseV1(c);
  if (version === MMSTATS_VERSION_2) return parseV2(c);
  return c.fail(
    `unsupported mmstats version byte 0x${version.toString(16).padStart(2, '0')} (this reader reads versions 0x01 and 0x02)`,
  );
}

/**
 * The fields of an mmstats file (version 1 or 2); see {@link parseStatsFile}.
 *
 * @example
 * for (const f of parseStats(readFileSync(path), path)) console.log(f.label, f.value);
 */
export function parseStats(data: Uint8Array, name = 'stats file'): StatsField[] {
  return parseStatsFile(data, name).fields;
}

/** Read and parse a stats file (one read; no effect on its writer). */
export function readStatsFile(path: string): StatsField[] {
  return parseStats(readFileSync(path), path);
}
