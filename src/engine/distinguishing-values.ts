import type { WaymarkEvent } from '../model/event.js';
import { Instant } from '../model/instant.js';
import { TimeRange } from '../timex/index.js';
import { formatValue } from './event-vars.js';
import type { Criterion, DistinguishingValue, TriggerDefinition } from './trigger.js';

/**
 * The distinguishing values of the stream an event joins, given the match
 * criterion it matched (whose `map_distinguished_by` may take a value from
 * another trait: `{timestamp: audit_period_beginning}`). Keys follow the
 * order of `distinguished_by`. Returns a reason instead when the event lacks a
 * distinguishing trait (it then matches no stream of this trigger).
 *
 * The trait `timestamp` is the event's own timestamp unless the event has a
 * trait of that name. A `{trait: timex}` entry is evaluated with `$<trait>`
 * and `$timestamp` both set to the value, and the range is the value.
 *
 * ```ts
 * const c = trigger.matchCriteria.find((m) => m.check(event) === undefined);
 * if (c !== undefined) {
 *   const values = distinguishingValues(trigger, event, c);
 *   if (typeof values !== 'string') streamKey(trigger.name, values);
 * }
 * ```
 */
export function distinguishingValues(
  trigger: TriggerDefinition,
  event: WaymarkEvent,
  criterion: Criterion,
): Record<string, DistinguishingValue> | string {
  const out: Record<string, DistinguishingValue> = {};
  const mapping = criterion.mapDistinguishedBy;
  for (const { trait, range } of trigger.distinguishedBy) {
    const source = Object.hasOwn(mapping, trait) ? (mapping[trait] as string) : trait;
    const from = source === trait ? '' : ` (from ${source})`;
    const own = Object.hasOwn(event.traits, source) ? event.traits[source] : undefined;
    const value = own ?? (source === 'timestamp' ? event.timestamp : undefined);
    if (value === undefined) return `distinguishing trait ${trait}${from}: missing`;
    if (range === undefined) {
      out[trait] = value;
      continue;
    }
    const t =
      value instanceof Instant ? value : typeof value === 'string' ? Instant.tryParse(value) : undefined;
    if (t === undefined) {
      return `distinguishing trait ${trait}${from}: ${formatValue(value)} is not a datetime (needed by "${range.source}")`;
    }
    const bucket = range.evaluate({ [trait]: t, timestamp: t }, t);
    if (!(bucket instanceof TimeRange)) {
      return `distinguishing trait ${trait}${from}: "${range.source}" gives no range for ${t.toISOString()}`;
    }
    out[trait] = bucket;
  }
  return out;
}
