import {
  daysFromCivil,
  daysInMonth,
  Instant,
  US_PER_DAY,
  US_PER_HOUR,
  US_PER_MINUTE,
  US_PER_SECOND,
} from '../model/instant.js';

/** Digit positions of `YYYY-MM-DD HH:MM:SS` and of the six fraction digits after it. */
const DATE_DIGITS = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18];
const FRACTION_DIGITS = [20, 21, 22, 23, 24, 25];

function digitsOk(s: string, positions: readonly number[]): boolean {
  for (const i of positions) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

const num2 = (s: string, i: number): number => (s.charCodeAt(i) - 48) * 10 + s.charCodeAt(i + 1) - 48;

/**
 * {@link Instant.tryParse}, with a fast path for the forms notifications carry by
 * the million: `2014-06-11 16:09:41.123456` (OpenStack), `2014-06-11T16:09:41.123456Z`
 * (waymark's own) and both without the fraction. Anything else goes to `Instant.tryParse`,
 * so the accepted inputs and results are the same.
 */
export function parseDatetime(v: unknown): Instant | undefined {
  if (typeof v !== 'string') return Instant.tryParse(v);
  let n = v.length;
  if (n === 20 || n === 27) {
    if (v.charCodeAt(n - 1) !== 90 /* Z */) return Instant.tryParse(v);
    n--;
  }
  if (
    (n !== 19 && n !== 26) ||
    v.charCodeAt(4) !== 45 ||
    v.charCodeAt(7) !== 45 ||
    (v.charCodeAt(10) !== 32 && v.charCodeAt(10) !== 84) ||
    v.charCodeAt(13) !== 58 ||
    v.charCodeAt(16) !== 58 ||
    !digitsOk(v, DATE_DIGITS) ||
    (n === 26 && (v.charCodeAt(19) !== 46 || !digitsOk(v, FRACTION_DIGITS)))
  ) {
    return Instant.tryParse(v);
  }
  const year = num2(v, 0) * 100 + num2(v, 2);
  const month = num2(v, 5);
  const day = num2(v, 8);
  const hour = num2(v, 11);
  const minute = num2(v, 14);
  const second = num2(v, 17);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  const micro = n === 26 ? num2(v, 20) * 10_000 + num2(v, 22) * 100 + num2(v, 24) : 0;
  return new Instant(
    daysFromCivil(year, month, day) * US_PER_DAY +
      hour * US_PER_HOUR +
      minute * US_PER_MINUTE +
      second * US_PER_SECOND +
      micro,
  );
}
