/**
 * The mmstats file format. Version 1 is byte-compatible with Python's mmstats:
 * a version byte, then packed little-endian fields
 * `label size (u16) | label | type size (u16) | type | write buffer (u8) | value(s)`
 * until a label size of 0. Version 2 (waymark's extension, in the spirit of
 * mmstats' v2 proposal) prefixes every field with its total size and adds a
 * metric type byte, so readers can skip kinds they do not know; it carries
 * histograms. Both layouts, byte by byte, for readers in other languages:
 * src/stats/README.md.
 */

export const MMSTATS_VERSION = 1;
/** The version byte of files holding a v2-only field (a histogram), or written with `version: 2`. */
export const MMSTATS_VERSION_2 = 2;
/** The write-buffer byte of a field with a single value. */
export const UNBUFFERED = 0xff;
/** Files are whole pages. */
export const PAGE_SIZE = 4096;
/** The default size of a `<n>s` string field, as in mmstats. */
export const DEFAULT_STRING_SIZE = 255;
/** The v2 data type of a log-linear histogram (layout in src/stats/README.md). */
export const HISTOGRAM_TYPE = 'hist';

/** What a field measures: how aggregation and Prometheus treat it. */
export type MetricType = 'info' | 'counter' | 'gauge' | 'histogram';

/** The v2 metric type byte of each metric type. */
export const METRIC_CODES: Readonly<Record<MetricType, number>> = {
  info: 0,
  counter: 1,
  gauge: 2,
  histogram: 3,
};

/** The metric type of a v2 metric type byte, or undefined if unknown. */
export function metricOfCode(code: number): MetricType | undefined {
  return (['info', 'counter', 'gauge', 'histogram'] as const)[code];
}

/** Byte sizes of the Python `struct` format characters a v1 file may carry. */
export const STRUCT_SIZES: Readonly<Record<string, number>> = {
  Q: 8,
  q: 8,
  I: 4,
  i: 4,
  H: 2,
  h: 2,
  B: 1,
  b: 1,
  '?': 1,
  f: 4,
  d: 8,
};

/** The size in bytes of one value of `type` (`Q`, `d`, `32s` ...), or undefined if unknown. */
export function valueSize(type: string): number | undefined {
  const s = /^(\d*)s$/.exec(type);
  if (s !== null) return s[1] === '' ? 1 : Number(s[1]);
  return STRUCT_SIZES[type];
}

/** The bytes a v1 field header takes before its value(s). */
export function headerSize(labelBytes: number, typeBytes: number): number {
  return 2 + labelBytes + 2 + typeBytes + 1;
}

/** The bytes a v2 field header takes before its value(s): field size, label, type, metric, write buffer. */
export function headerSizeV2(labelBytes: number, typeBytes: number): number {
  return 4 + 2 + labelBytes + 2 + typeBytes + 1 + 1;
}

/**
 * The metric type a v1 field is read as (v1 has no metric type byte): a
 * buffered `Q` is a counter (mmstats' CounterField and waymark's `counter()`),
 * any other buffered number a gauge, everything else (strings, bools, static
 * values) info.
 */
export function inferMetricV1(type: string, buffered: boolean): MetricType {
  if (!buffered || type.endsWith('s') || type === '?') return 'info';
  return type === 'Q' ? 'counter' : 'gauge';
}
