import { US_PER_DAY, formatOpenStack, type Micros } from '../model/instant.js';
import type { Rng } from './rng.js';

const TWO_DIGITS: string[] = Array.from({ length: 60 }, (_, i) => (i < 10 ? `0${i}` : String(i)));
const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/**
 * Formats timestamps quickly: the `YYYY-MM-DD` part is computed once per day and
 * cached, the time of day is assembled from a table of two-digit strings. The
 * generator writes tens of timestamps per notification, so this matters.
 */
export class TimestampFormatter {
  private day = Number.NaN;
  private prefixOs = '';
  private prefixIso = '';

  /** `2014-06-11 16:09:41.123456`, the form OpenStack writes. */
  openstack(us: Micros): string {
    return this.format(us, false);
  }

  /** `2014-06-11T16:09:41.123456Z`. */
  iso(us: Micros): string {
    return this.format(us, true);
  }

  private format(us: Micros, iso: boolean): string {
    const day = Math.floor(us / US_PER_DAY);
    if (day !== this.day) {
      this.day = day;
      const date = formatOpenStack(day * US_PER_DAY).slice(0, 10);
      this.prefixOs = date + ' ';
      this.prefixIso = date + 'T';
    }
    let rest = us - day * US_PER_DAY;
    const micro = rest % 1_000_000;
    rest = (rest - micro) / 1_000_000;
    const second = rest % 60;
    rest = (rest - second) / 60;
    const minute = rest % 60;
    const hour = (rest - minute) / 60;
    const m = String(micro);
    const frac = m.length === 6 ? m : '000000'.slice(m.length) + m;
    const time = `${TWO_DIGITS[hour] as string}:${TWO_DIGITS[minute] as string}:${TWO_DIGITS[second] as string}.${frac}`;
    return iso ? this.prefixIso + time + 'Z' : this.prefixOs + time;
  }
}

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
