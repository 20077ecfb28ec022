import { TimestampFormatter } from '../model/instant.js';
import type { Rng } from './rng.js';

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** The cached-date timestamp formatter now lives with the time model; re-exported for the scenarios. */
export { TimestampFormatter };

/** A random version-4 UUID from `rng`, built from a hex table (no closures, no regexes). */
export function fastUuid(rng: Rng): string {
  const a = rng.uint32();
  const b = rng.uint32();
  const c = rng.uint32();
  const d = rng.uint32();
  return (
    (HEX[a >>> 24] as string) +
    (HEX[(a >>> 16) & 255] as string) +
    (HEX[(a >>> 8) & 255] as string) +
    (HEX[a & 255] as string) +
    '-' +
    (HEX[b >>> 24] as string) +
    (HEX[(b >>> 16) & 255] as string) +
    '-4' +
    (HEX[(b >>> 8) & 15] as string).slice(1) +
    (HEX[b & 255] as string) +
    '-' +
    (HEX[0x80 | ((c >>> 24) & 0x3f)] as string) +
    (HEX[(c >>> 16) & 255] as string) +
    '-' +
    (HEX[(c >>> 8) & 255] as string) +
    (HEX[c & 255] as string) +
    (HEX[d >>> 24] as string) +
    (HEX[(d >>> 16) & 255] as string) +
    (HEX[(d >>> 8) & 255] as string) +
    (HEX[d & 255] as string)
  );
}

/** 32 hex digits (notigen's `XUUID`: a UUID without dashes). */
export function fastXuuid(rng: Rng): string {
  let s = '';
  for (let i = 0; i < 4; i++) {
    const x = rng.uint32();
    s +=
      (HEX[x >>> 24] as string) +
      (HEX[(x >>> 16) & 255] as string) +
      (HEX[(x >>> 8) & 255] as string) +
      (HEX[x & 255] as string);
  }
  return s;
}
