import { TimeFormatError } from './errors.js';
import { US_PER_DAY, US_PER_HOUR, US_PER_MINUTE, US_PER_SECOND, type Micros } from './instant.js';

/** The duration units of timex.md. Months and years are calendar units, the rest are fixed. */
export type DurationUnit = 'us' | 's' | 'm' | 'h' | 'd' | 'mo' | 'y';

/** Every spelling accepted for a unit, mapped to its canonical unit. */
export const UNIT_ALIASES: Readonly<Record<string, DurationUnit>> = {
  us: 'us',
  s: 's',
  sec: 's',
  m: 'm',
  min: 'm',
  h: 'h',
  hr: 'h',
  d: 'd',
  mo: 'mo',
  y: 'y',
  yr: 'y',
};

/** Microseconds in one fixed unit. */
export const FIXED_UNIT_MICROS: Readonly<Record<Exclude<DurationUnit, 'mo' | 'y'>, Micros>> = {
  us: 1,
  s: US_PER_SECOND,
  m: US_PER_MINUTE,
  h: US_PER_HOUR,
  d: US_PER_DAY,
};

const TERM_RE = /(\d+(?:\.\d+)?)\s*([a-z]+)/gy;

/**
 * Parse a fixed-length duration such as `30s`, `1d`, `6h 30m 15s` or `250ms`
 * (`ms` is accepted here for command-line convenience) into microseconds.
 * Calendar units (`mo`, `y`) are rejected: their length depends on the date.
 */
export function parseFixedDuration(text: string): Micros {
  const src = text.trim();
  if (src === '') throw new TimeFormatError('empty duration; expected e.g. "30s", "1d" or "6h 30m"');
  let total = 0;
  let pos = 0;
  TERM_RE.lastIndex = 0;
  while (pos < src.length) {
    while (src[pos] === ' ') pos++;
    if (pos >= src.length) break;
    TERM_RE.lastIndex = pos;
    const m = TERM_RE.exec(src);
    if (m === null) {
      throw new TimeFormatError(
        `bad duration ${JSON.stringify(text)} at column ${pos + 1}: expected a number followed by a unit (us, ms, s, m, h, d)`,
      );
    }
    const unitText = m[2] ?? '';
    const amount = Number(m[1]);
    let unitMicros: Micros;
    if (unitText === 'ms') unitMicros = 1000;
    else {
      const unit = UNIT_ALIASES[unitText];
      if (unit === undefined) {
        throw new TimeFormatError(
          `bad duration ${JSON.stringify(text)}: unknown unit "${unitText}" at column ${pos + 1 + (m[1] ?? '').length}; expected us, ms, s, m, h or d`,
        );
      }
      if (unit === 'mo' || unit === 'y') {
        throw new TimeFormatError(
          `bad duration ${JSON.stringify(text)}: "${unitText}" is a calendar unit of varying length; use days here`,
        );
      }
      unitMicros = FIXED_UNIT_MICROS[unit];
    }
    total += Math.round(amount * unitMicros);
    pos = TERM_RE.lastIndex;
  }
  return total;
}

/** `90061000000` -> `1d 1h 1m 1s`; for messages and tables. */
export function formatDuration(us: Micros): string {
  if (us === 0) return '0s';
  const sign = us < 0 ? '-' : '';
  let rest = Math.abs(us);
  const out: string[] = [];
  for (const [unit, size] of [
    ['d', US_PER_DAY],
    ['h', US_PER_HOUR],
    ['m', US_PER_MINUTE],
  ] as const) {
    if (rest >= size) {
      out.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  if (rest > 0) out.push(`${Number((rest / US_PER_SECOND).toFixed(6))}s`);
  return sign + out.join(' ');
}
