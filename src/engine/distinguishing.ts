import { Instant } from '../model/instant.js';
import { TimeRange } from '../timex/index.js';
import type { DistinguishingValue } from './trigger.js';

/** The canonical datetime form: strings in exactly this form read back as datetimes. */
const CANONICAL_ISO_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

/**
 * A distinguishing value as a string, for keys and for filters
 * (`?instance_id=…`): text as is, numbers in JS form, datetimes as ISO,
 * ranges as `[begin, end)`.
 */
export function distinguishingValueString(v: DistinguishingValue): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  return v.toString();
}

/** The canonical key of (trigger, values): one non-completed stream per key. Order follows `distinguished_by`. */
export function streamKey(trigger: string, values: Readonly<Record<string, DistinguishingValue>>): string {
  let key = trigger;
  for (const name of Object.keys(values)) {
    const v = values[name] as DistinguishingValue;
    const tag = typeof v === 'string' ? 's' : typeof v === 'number' ? 'n' : v instanceof Instant ? 't' : 'r';
    key += `\u0000${name}\u0001${tag}${distinguishingValueString(v)}`;
  }
  return key;
}

type DistinguishingJSON = string | number | { begin: string; end: string; unit?: string; pinned_to?: string };

/** JSON form (product.md): datetimes as ISO strings, ranges as `{begin, end}`. */
export function distinguishingToJSON(
  values: Readonly<Record<string, DistinguishingValue>>,
): Record<string, DistinguishingJSON> {
  const out: Record<string, DistinguishingJSON> = {};
  for (const [name, v] of Object.entries(values)) {
    if (typeof v === 'string' || typeof v === 'number') out[name] = v;
    else if (v instanceof Instant) out[name] = v.toISOString();
    else out[name] = { begin: v.begin.toISOString(), end: v.end.toISOString() };
  }
  return out;
}

/** Inverse of {@link distinguishingToJSON} (for stores that keep the JSON). */
export function distinguishingFromJSON(json: unknown): Record<string, DistinguishingValue> {
  const out: Record<string, DistinguishingValue> = {};
  if (json === null || typeof json !== 'object') return out;
  for (const [name, v] of Object.entries(json as Record<string, unknown>)) {
    if (typeof v === 'number') out[name] = v;
    else if (typeof v === 'string') out[name] = CANONICAL_ISO_RE.test(v) ? Instant.parse(v) : v;
    else if (v !== null && typeof v === 'object') {
      const r = v as Record<string, unknown>;
      if (typeof r['begin'] === 'string' && typeof r['end'] === 'string') {
        out[name] = new TimeRange(Instant.parse(r['begin']), Instant.parse(r['end']));
      }
    }
  }
  return out;
}
