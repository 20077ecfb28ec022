import { readFileSync } from 'node:fs';
import { WaymarkError } from '../model/errors.js';
import { MMSTATS_VERSION, UNBUFFERED, valueSize } from './format.js';

/** One field of a stats file as a reader sees it. */
export interface StatsField {
  label: string;
  /** The struct format, e.g. `Q`, `d`, `32s`. */
  type: string;
  buffered: boolean;
  /** 64-bit integers beyond 2^53 come back as bigint. */
  value: number | bigint | boolean | string;
}

/** A stats file that is not a readable mmstats v1 file; the message names the file and the problem. */
export class StatsFormatError extends WaymarkError {
  override name = 'StatsFormatError';
}

const utf8 = new TextDecoder('utf-8');

function readValue(view: DataView, at: number, type: string, size: number): StatsField['value'] {
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

/**
 * Parse an mmstats v1 file: every field with the value a reader should see
 * (buffer `[wb ^ 1]` for buffered fields). Throws {@link StatsFormatError}
 * naming `name` and the problem for an unknown version or a corrupt file.
 *
 * @example
 * for (const f of parseStats(readFileSync(path), path)) console.log(f.label, f.value);
 */
export function parseStats(data: Uint8Array, name = 'stats file'): StatsField[] {
  const fail = (msg: string): never => {
    throw new StatsFormatError(`${name}: ${msg}`);
  };
  if (data.length === 0) fail('empty file, not an mmstats file');
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const version = view.getUint8(0);
  if (version !== MMSTATS_VERSION) {
    fail(
      `unsupported mmstats version byte 0x${version.toString(16).padStart(2, '0')} (this reader reads version 0x01)`,
    );
  }
  const need = (at: number, n: number, what: string): void => {
    if (at + n > data.length) {
      fail(`truncated: ${what} at byte ${at} needs ${n} bytes but the file ends at byte ${data.length}`);
    }
  };
  const fields: StatsField[] = [];
  let at = 1;
  // A writer that filled the file exactly has no room for the end marker.
  while (at < data.length) {
    need(at, 2, 'a label size');
    const labelSize = view.getUint16(at, true);
    at += 2;
    if (labelSize === 0) return fields;
    need(at, labelSize, `label (size ${labelSize})`);
    const label = utf8.decode(data.subarray(at, at + labelSize));
    at += labelSize;
    need(at, 2, `the type size of ${label}`);
    const typeSize = view.getUint16(at, true);
    at += 2;
    need(at, typeSize, `the type of ${label} (size ${typeSize})`);
    const type = utf8.decode(data.subarray(at, at + typeSize));
    at += typeSize;
    const size = valueSize(type);
    if (size === undefined)
      fail(`field ${label} has an unknown type ${JSON.stringify(type)} at byte ${at - typeSize}`);
    need(at, 1, `the write-buffer byte of ${label}`);
    const wb = view.getUint8(at);
    at += 1;
    if (wb !== UNBUFFERED && wb > 1)
      fail(`field ${label} has a bad write-buffer byte ${wb} at byte ${at - 1}`);
    const buffered = wb !== UNBUFFERED;
    const n = (size as number) * (buffered ? 2 : 1);
    need(at, n, `the value${buffered ? 's' : ''} of ${label}`);
    const valueAt = buffered ? at + (wb ^ 1) * (size as number) : at;
    fields.push({ label, type, buffered, value: readValue(view, valueAt, type, size as number) });
    at += n;
  }
  return fields;
}

/** Read and parse a stats file (one read; no effect on its writer). */
export function readStatsFile(path: string): StatsField[] {
  return parseStats(readFileSync(path), path);
}
