import { Instant } from '../../src/model/instant.js';
import { parseTimex, TimeRange } from '../../src/timex/index.js';

export const at = (s: string): Instant => Instant.parse(s);

/** Evaluate and render: ISO for a timestamp, `[b, e)` for a range, `undefined` for no match. */
export function show(expr: string, vars: Record<string, string> = {}, now?: string): string {
  const v: Record<string, Instant> = {};
  for (const [k, s] of Object.entries(vars)) v[k] = at(s);
  const r = parseTimex(expr).evaluate(v, now === undefined ? undefined : at(now));
  return r === undefined ? 'undefined' : String(r);
}

/** `[begin, end)` in the format TimeRange prints, from short ISO strings. */
export function range(begin: string, end: string): string {
  return `[${at(begin).toISOString()}, ${at(end).toISOString()})`;
}

export function iso(s: string): string {
  return at(s).toISOString();
}

export function evalRange(expr: string, vars: Record<string, string>): TimeRange {
  const v: Record<string, Instant> = {};
  for (const [k, s] of Object.entries(vars)) v[k] = at(s);
  const r = parseTimex(expr).evaluate(v);
  if (!(r instanceof TimeRange)) throw new Error(`${expr} gave ${String(r)}, not a range`);
  return r;
}
