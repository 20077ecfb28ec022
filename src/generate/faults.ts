import { WaymarkError } from '../model/errors.js';
import { parseFixedDuration } from '../model/duration.js';
import type { Micros } from '../model/instant.js';

/**
 * Faults to inject into the generated traffic (all off by default). Fractions
 * are per notification; durations are microseconds.
 */
export interface FaultOptions {
  /** Fraction of notifications never delivered (e.g. a missing `.end`). */
  drop?: number;
  /** Fraction delivered twice (same `message_id`, same bytes), the copy up to 2 s later. */
  dup?: number;
  /** Hold each notification back by a random amount up to this window, so later ones overtake it. */
  reorder?: Micros;
  /** Each publisher host's clock is off by a fixed amount in `[-skew, +skew]` (the `timestamp` written). */
  skew?: Micros;
  /** Transport delay: received = emitted + uniform `[0, delay]`, written as `_waymark_received`. */
  delay?: Micros;
  /** Fraction replaced by malformed lines: broken JSON, or JSON without `event_type`. */
  malformed?: number;
}

/** A `--faults` specification that does not parse; the message names the bad item. */
export class FaultSpecError extends WaymarkError {
  override name = 'FaultSpecError';
}

const FRACTIONS = ['drop', 'dup', 'malformed'] as const;
const DURATIONS = ['reorder', 'skew', 'delay'] as const;
const ACCEPTED =
  'drop=FRACTION, dup=FRACTION, malformed=FRACTION, reorder=DURATION, skew=DURATION, delay=DURATION';

function fraction(item: string, value: string): number {
  const pct = value.endsWith('%');
  const n = Number(pct ? value.slice(0, -1) : value);
  if (value.trim() === '' || !Number.isFinite(n)) {
    throw new FaultSpecError(`fault "${item}": expected a fraction such as 0.01 or 1%, got "${value}"`);
  }
  const f = pct ? n / 100 : n;
  if (f < 0 || f > 1)
    throw new FaultSpecError(`fault "${item}": a fraction must be between 0 and 1, got "${value}"`);
  return f;
}

function duration(item: string, value: string): Micros {
  let us: Micros;
  try {
    us = parseFixedDuration(value);
  } catch (cause) {
    throw new FaultSpecError(`fault "${item}": ${(cause as Error).message}`, { cause });
  }
  return us;
}

/**
 * Parse `drop=0.01,dup=0.01,reorder=30s,skew=2s,delay=500ms,malformed=0.001`
 * (fractions may be written as percentages, `1%`; `none` or an empty string
 * means no faults).
 *
 * ```ts
 * parseFaults('drop=0.01,delay=500ms'); // { drop: 0.01, delay: 500000 }
 * parseFaults('drop=2');                // throws FaultSpecError: fault "drop=2": a fraction must be between 0 and 1 ...
 * ```
 */
export function parseFaults(text: string): FaultOptions {
  const out: FaultOptions = {};
  const src = text.trim();
  if (src === '' || src === 'none') return out;
  const seen = new Set<string>();
  for (const raw of src.split(',')) {
    const item = raw.trim();
    const eq = item.indexOf('=');
    if (eq <= 0) {
      throw new FaultSpecError(`fault "${item}": expected NAME=VALUE; accepted: ${ACCEPTED}`);
    }
    const name = item.slice(0, eq).trim();
    const value = item.slice(eq + 1).trim();
    if (seen.has(name)) throw new FaultSpecError(`fault "${name}" is given twice`);
    seen.add(name);
    if ((FRACTIONS as readonly string[]).includes(name)) {
      out[name as (typeof FRACTIONS)[number]] = fraction(item, value);
    } else if ((DURATIONS as readonly string[]).includes(name)) {
      out[name as (typeof DURATIONS)[number]] = duration(item, value);
    } else {
      throw new FaultSpecError(`unknown fault "${name}" in "${item}"; accepted: ${ACCEPTED}`);
    }
  }
  return out;
}

/** `drop=0.01,delay=500ms`-style text of the faults that are on (for summaries). */
export function describeFaults(f: FaultOptions): string {
  const parts: string[] = [];
  for (const k of FRACTIONS) if ((f[k] ?? 0) > 0) parts.push(`${k}=${f[k]}`);
  for (const k of DURATIONS) if ((f[k] ?? 0) > 0) parts.push(`${k}=${(f[k] ?? 0) / 1e6}s`);
  return parts.length === 0 ? 'none' : parts.join(',');
}
