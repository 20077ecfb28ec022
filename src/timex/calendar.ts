/**
 * Calendar arithmetic on microsecond timestamps (UTC), without allocating
 * Instants. Months and years move calendar-wise and clamp to the end of the
 * month: Jan 31 + 1mo = Feb 28 (29 in a leap year), Feb 29 + 1y = Feb 28.
 */
import {
  civilFromDays,
  daysFromCivil,
  daysInMonth,
  US_PER_DAY,
  US_PER_HOUR,
  type Micros,
} from '../model/instant.js';

/** The units a range can span. */
export type RangeUnit = 'hour' | 'day' | 'month' | 'year';

export const RANGE_UNITS: readonly RangeUnit[] = ['hour', 'day', 'month', 'year'];

/** Add whole months (negative to subtract), clamping the day to the month's length. */
export function addMonths(us: Micros, months: number): Micros {
  if (months === 0) return us;
  const days = Math.floor(us / US_PER_DAY);
  const timeOfDay = us - days * US_PER_DAY;
  const { year, month, day } = civilFromDays(days);
  const index = year * 12 + (month - 1) + months;
  const newYear = Math.floor(index / 12);
  const newMonth = index - newYear * 12 + 1;
  const newDay = Math.min(day, daysInMonth(newYear, newMonth));
  return daysFromCivil(newYear, newMonth, newDay) * US_PER_DAY + timeOfDay;
}

/** The start of the hour/day/month/year containing `us`. */
export function floorTo(us: Micros, unit: RangeUnit): Micros {
  switch (unit) {
    case 'hour':
      return Math.floor(us / US_PER_HOUR) * US_PER_HOUR;
    case 'day':
      return Math.floor(us / US_PER_DAY) * US_PER_DAY;
    case 'month': {
      const { year, month } = civilFromDays(Math.floor(us / US_PER_DAY));
      return daysFromCivil(year, month, 1) * US_PER_DAY;
    }
    case 'year': {
      const { year } = civilFromDays(Math.floor(us / US_PER_DAY));
      return daysFromCivil(year, 1, 1) * US_PER_DAY;
    }
  }
}

/** `us` moved by `k` whole units (calendar-wise for months and years). */
export function addUnits(us: Micros, unit: RangeUnit, k: number): Micros {
  switch (unit) {
    case 'hour':
      return us + k * US_PER_HOUR;
    case 'day':
      return us + k * US_PER_DAY;
    case 'month':
      return addMonths(us, k);
    case 'year':
      return addMonths(us, 12 * k);
  }
}

function monthIndex(us: Micros): number {
  const { year, month } = civilFromDays(Math.floor(us / US_PER_DAY));
  return year * 12 + month - 1;
}

/**
 * The `k` for which `[addUnits(begin, k), addUnits(begin, k + 1))` contains
 * `pin`: how many whole units to slide a range starting at `begin` so that it
 * contains `pin` again.
 */
export function unitsToContain(begin: Micros, unit: RangeUnit, pin: Micros): number {
  let k: number;
  if (unit === 'hour') return Math.floor((pin - begin) / US_PER_HOUR);
  if (unit === 'day') return Math.floor((pin - begin) / US_PER_DAY);
  const months = monthIndex(pin) - monthIndex(begin);
  k = unit === 'month' ? months : Math.floor(months / 12);
  // The estimate is off by at most one either way (clamping, time of day).
  while (addUnits(begin, unit, k) > pin) k--;
  while (addUnits(begin, unit, k + 1) <= pin) k++;
  return k;
}

/** Calendar components that `@` replaces; `undefined` keeps the current value. */
export interface Replacement {
  year?: number | undefined;
  month?: number | undefined;
  day?: number | undefined;
  hour?: number | undefined;
  minute?: number | undefined;
  second?: number | undefined;
  micro?: number | undefined;
}

/**
 * `us` with the given components replaced. When the day does not exist in the
 * resulting month (`@ 2mo 31d`), it is clamped to the month's last day.
 */
export function replaceParts(us: Micros, r: Replacement): Micros {
  const days = Math.floor(us / US_PER_DAY);
  let rest = us - days * US_PER_DAY;
  const civil = civilFromDays(days);
  const hour0 = Math.floor(rest / US_PER_HOUR);
  rest -= hour0 * US_PER_HOUR;
  const minute0 = Math.floor(rest / 60_000_000);
  rest -= minute0 * 60_000_000;
  const second0 = Math.floor(rest / 1_000_000);
  const micro0 = rest - second0 * 1_000_000;
  const year = r.year ?? civil.year;
  const month = r.month ?? civil.month;
  const day = Math.min(r.day ?? civil.day, daysInMonth(year, month));
  return (
    daysFromCivil(year, month, day) * US_PER_DAY +
    (r.hour ?? hour0) * US_PER_HOUR +
    (r.minute ?? minute0) * 60_000_000 +
    (r.second ?? second0) * 1_000_000 +
    (r.micro ?? micro0)
  );
}
