/**
 * The mmstats file format, version 1 (byte-compatible with Python's mmstats):
 * a version byte, then packed little-endian fields
 * `label size (u16) | label | type size (u16) | type | write buffer (u8) | value(s)`
 * until a label size of 0. The layout, for readers in other languages: src/stats/README.md.
 */

export const MMSTATS_VERSION = 1;
/** The write-buffer byte of a field with a single value. */
export const UNBUFFERED = 0xff;
/** Files are whole pages. */
export const PAGE_SIZE = 4096;
/** The default size of a `<n>s` string field, as in mmstats. */
export const DEFAULT_STRING_SIZE = 255;

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

/** The bytes a field header takes before its value(s). */
export function headerSize(labelBytes: number, typeBytes: number): number {
  return 2 + labelBytes + 2 + typeBytes + 1;
}
