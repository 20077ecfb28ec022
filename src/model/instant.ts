import { TimeFormatError } from './errors.js';

/** Microseconds since 1970-01-01T00:00:00Z. Exact as a JS number until the year 2255. */
export type Micros = number;

export const US_PER_SECOND = 1_000_000;
export const US_PER_MINUTE = 60 * US_PER_SECOND;
export const US_PER_HOUR = 60 * US_PER_MINUTE;
export const US_PER_DAY = 24 * US_PER_HOUR;

/** Broken-down UTC calendar time. `month` is 1-12, `micro` is 0-999999. */
export interface CalendarParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  micro: number;
}

/** Days from 1970-01-01 to the given proleptic Gregorian date (Hinnant's algorithm). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = (month + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** The inverse of {@link daysFromCivil}. */
export function civilFromDays(days: number): { year: number; month: number; day: number } {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

export function daysInMonth(year: number, month: number): number {
  return month === 2 && isLeapYear(year) ? 29 : (MONTH_DAYS[month - 1] ?? 0);
}

/** Microseconds since the epoch of the given UTC calendar parts (no validation). */
export function microsFromParts(p: CalendarParts): Micros {
  return (
    daysFromCivil(p.year, p.month, p.day) * US_PER_DAY +
    p.hour * US_PER_HOUR +
    p.minute * US_PER_MINUTE +
    p.second * US_PER_SECOND +
    p.micro
  );
}

/** UTC calendar parts of a microsecond timestamp. */
export function partsFromMicros(us: Micros): CalendarParts {
  const days = Math.floor(us / US_PER_DAY);
  let rest = us - days * US_PER_DAY;
  const hour = Math.floor(rest / US_PER_HOUR);
  rest -= hour * US_PER_HOUR;
  const minute = Math.floor(rest / US_PER_MINUTE);
  rest -= minute * US_PER_MINUTE;
  const second = Math.floor(rest / US_PER_SECOND);
  return { ...civilFromDays(days), hour, minute, second, micro: rest - second * US_PER_SECOND };
}

// YYYY-MM-DD[ T]HH:MM[:SS[.fraction]][Z|±HH[:]MM]  or  YYYY-MM-DD
const TIMESTAMP_RE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?$/;
const EPOCH_RE = /^-?\d+(?:\.\d+)?$/;

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/**
 * A point in time with microsecond precision, always UTC.
 *
 * Parses what OpenStack and the rest of the world write:
 * ```ts
 * Instant.parse('2014-06-11 16:09:41.123456').toISOString(); // '2014-06-11T16:09:41.123456Z'
 * Instant.parse('2014-06-11T18:09:41+02:00').toISOString(); // '2014-06-11T16:09:41.000000Z'
 * Instant.parse(1402502981.5).toISOString();                // '2014-06-11T16:09:41.500000Z'
 * ```
 * `JSON.stringify` writes the ISO form; comparison operators work through `valueOf()`.
 */
export class Instant {
  constructor(readonly us: Micros) {}

  /** Parse a timestamp string or epoch seconds; throws {@link TimeFormatError}. */
  static parse(value: string | number): Instant {
    return new Instant(parseMicros(value));
  }

  /** Like {@link Instant.parse} but returns `undefined` instead of throwing. */
  static tryParse(value: unknown): Instant | undefined {
    const us = tryParseMicros(value);
    return us === undefined ? undefined : new Instant(us);
  }

  static fromParts(p: CalendarParts): Instant {
    return new Instant(microsFromParts(p));
  }

  static now(): Instant {
    return new Instant(Date.now() * 1000);
  }

  parts(): CalendarParts {
    return partsFromMicros(this.us);
  }

  plus(us: Micros): Instant {
    return new Instant(this.us + us);
  }

  /** `2014-06-11T16:09:41.123456Z` — six fraction digits, always. */
  toISOString(): string {
    return formatIso(this.us);
  }

  /** `2014-06-11 16:09:41.123456` — the form OpenStack notifications carry. */
  toOpenStack(): string {
    return formatOpenStack(this.us);
  }

  toJSON(): string {
    return formatIso(this.us);
  }

  toString(): string {
    return formatIso(this.us);
  }

  valueOf(): number {
    return this.us;
  }

  equals(other: Instant): boolean {
    return this.us === other.us;
  }
}

const TWO_DIGITS: readonly string[] = Array.from({ length: 60 }, (_, i) => (i < 10 ? `0${i}` : String(i)));

/** `YYYY-MM-DD` of a day number (days since the epoch); years outside 0-9999 written as numbers. */
function formatDate(days: number): string {
  const { year, month, day } = civilFromDays(days);
  const y = year >= 0 && year <= 9999 ? pad(year, 4) : String(year);
  return `${y}-${TWO_DIGITS[month] as string}-${TWO_DIGITS[day] as string}`;
}

/**
 * Formats many timestamps quickly: the `YYYY-MM-DD` part is computed once per
 * day and cached, the time of day comes from a table of two-digit strings.
 * Hot paths (the generator, the distiller's output) keep their own instance;
 * {@link formatIso} and {@link formatOpenStack} share one.
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

  private format(value: Micros, iso: boolean): string {
    const us = Math.floor(value);
    const day = Math.floor(us / US_PER_DAY);
    if (day !== this.day) {
      this.day = day;
      const date = formatDate(day);
      this.prefixOs = date + ' ';
      this.prefixIso = date + 'T';
    }
    let rest = us - day * US_PER_DAY;
    const micro = rest % US_PER_SECOND;
    rest = (rest - micro) / US_PER_SECOND;
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

const sharedFormatter = new TimestampFormatter();

export function formatIso(us: Micros): string {
  return sharedFormatter.iso(us);
}

export function formatOpenStack(us: Micros): string {
  return sharedFormatter.openstack(us);
}

/** Parse to microseconds; `undefined` when the value is not a timestamp. */
export function tryParseMicros(value: unknown): Micros | undefined {
  if (typeof value === 'number') {
    return Number.isFinite(value) ? Math.round(value * US_PER_SECOND) : undefined;
  }
  if (typeof value !== 'string') return undefined;
  const m = TIMESTAMP_RE.exec(value);
  if (m === null) {
    if (EPOCH_RE.test(value)) return Math.round(Number(value) * US_PER_SECOND);
    return undefined;
  }
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = m[4] === undefined ? 0 : Number(m[4]);
  const minute = m[5] === undefined ? 0 : Number(m[5]);
  const second = m[6] === undefined ? 0 : Number(m[6]);
  const frac = m[7];
  const micro = frac === undefined ? 0 : Number(frac.length >= 6 ? frac.slice(0, 6) : frac.padEnd(6, '0'));
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  let us = microsFromParts({ year, month, day, hour, minute, second, micro });
  const zone = m[8];
  if (zone !== undefined && zone !== 'Z' && zone !== 'z') {
    const sign = zone[0] === '-' ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    const zh = Number(digits.slice(0, 2));
    const zm = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
    if (zh > 23 || zm > 59) return undefined;
    us -= sign * (zh * US_PER_HOUR + zm * US_PER_MINUTE);
  }
  return us;
}

/** Parse to microseconds or throw a {@link TimeFormatError} that says what is accepted. */
export function parseMicros(value: string | number): Micros {
  const us = tryParseMicros(value);
  if (us === undefined) {
    throw new TimeFormatError(
      `not a timestamp: ${JSON.stringify(value)}; expected "2014-06-11 16:09:41.123456", ISO-8601 such as "2014-06-11T16:09:41Z" or epoch seconds`,
    );
  }
  return us;
}
