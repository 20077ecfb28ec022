/** Display helpers: durations in seconds, numbers, timestamps, trait maps. */

export function fmtNumber(n: number | null | undefined, digits = 0): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '–';
  return n.toLocaleString('en-GB', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

/** Seconds, readably: `42.3 s`, `12.4 min`, `3.2 h`. */
export function fmtDuration(s: number | null | undefined): string {
  if (s === null || s === undefined || !Number.isFinite(s)) return '–';
  const a = Math.abs(s);
  if (a < 1) return `${fmtNumber(s * 1000, 1)} ms`;
  if (a < 120) return `${fmtNumber(s, 1)} s`;
  if (a < 7200) return `${fmtNumber(s / 60, 1)} min`;
  return `${fmtNumber(s / 3600, 1)} h`;
}

/** `2026-01-01T00:12:03.123456Z` -> `2026-01-01 00:12:03`. */
export function fmtTime(iso: string | null | undefined): string {
  if (iso === null || iso === undefined || !/^\d{4}-\d\d-\d\d/.test(iso)) return '–';
  return iso
    .replace('T', ' ')
    .replace(/\.\d+Z$/, '')
    .replace(/Z$/, '');
}

/** Any JSON value as short text. */
export function fmtValue(v: unknown): string {
  if (v === null || v === undefined) return '–';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (typeof v === 'object' && 'begin' in v && 'end' in v && Object.keys(v).length === 2) {
    // A timex bucket of a distinguishing value.
    if (typeof v.begin === 'string' && typeof v.end === 'string')
      return `${fmtTime(v.begin)} → ${fmtTime(v.end)}`;
  }
  return JSON.stringify(v);
}

/** `{a: 1, b: "x"}` -> `a=1 b=x`. */
export function fmtTraits(traits: Record<string, unknown> | null | undefined): string {
  if (!traits) return '';
  return Object.entries(traits)
    .map(([k, v]) => `${k}=${fmtValue(v)}`)
    .join('  ');
}

/** `45.2` -> `45th`. */
export function fmtPercentile(p: number | null | undefined): string {
  if (p === null || p === undefined || !Number.isFinite(p)) return '–';
  const n = Math.round(p);
  const s = n % 100 >= 11 && n % 100 <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
  return `${n}${s}`;
}

/** At most `max` characters, with an ellipsis when cut. */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
