import { Instant } from './instant.js';
import { WaymarkError } from './errors.js';

/** The four trait types of the distiller. */
export type TraitType = 'text' | 'int' | 'float' | 'datetime';

/** `text` -> string, `int`/`float` -> number, `datetime` -> {@link Instant}. */
export type TraitValue = string | number | Instant;

/**
 * A distilled event: flat, typed, small. `JSON.stringify(event)` gives the
 * stable wire shape of product.md (timestamps as ISO-8601 UTC, six fraction digits):
 * ```json
 * {"message_id":"…","event_type":"compute.instance.create.end","timestamp":"2014-06-11T16:09:41.123456Z",
 *  "received":"…Z","traits":{"instance_id":"…","memory_mb":512,"launched_at":"…Z"}}
 * ```
 */
export interface WaymarkEvent {
  message_id: string;
  event_type: string;
  /** When the source generated it. */
  timestamp: Instant;
  /** When waymark (or the simulated consumer) took it in. */
  received: Instant;
  traits: Record<string, TraitValue>;
}

export class MalformedEventError extends WaymarkError {
  override name = 'MalformedEventError';
}

/** The canonical datetime form waymark writes; strings in exactly this form read back as datetimes. */
const CANONICAL_ISO_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

function requireString(obj: Record<string, unknown>, key: string): string {
  const v = obj[key];
  if (typeof v !== 'string' || v === '')
    throw new MalformedEventError(`event: "${key}" must be a non-empty string`);
  return v;
}

function requireInstant(obj: Record<string, unknown>, key: string): Instant {
  const v = obj[key];
  const t = typeof v === 'string' || typeof v === 'number' ? Instant.tryParse(v) : undefined;
  if (t === undefined)
    throw new MalformedEventError(`event: "${key}" must be a timestamp, got ${JSON.stringify(v)}`);
  return t;
}

/**
 * Read an event back from its JSON shape. Trait strings in waymark's canonical
 * datetime form (`2014-06-11T16:09:41.123456Z`) become {@link Instant}s; other
 * strings stay text, numbers stay numbers. `received` defaults to `timestamp`.
 */
export function eventFromJSON(value: unknown): WaymarkEvent {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new MalformedEventError('event: expected a JSON object');
  }
  const obj = value as Record<string, unknown>;
  const timestamp = requireInstant(obj, 'timestamp');
  const received =
    obj['received'] === undefined || obj['received'] === null ? timestamp : requireInstant(obj, 'received');
  const rawTraits = obj['traits'] ?? {};
  if (rawTraits === null || typeof rawTraits !== 'object' || Array.isArray(rawTraits)) {
    throw new MalformedEventError('event: "traits" must be an object');
  }
  const traits: Record<string, TraitValue> = {};
  for (const [name, v] of Object.entries(rawTraits as Record<string, unknown>)) {
    if (typeof v === 'number' && Number.isFinite(v)) traits[name] = v;
    else if (typeof v === 'string') traits[name] = CANONICAL_ISO_RE.test(v) ? Instant.parse(v) : v;
    else if (v !== null) throw new MalformedEventError(`event: trait "${name}" must be a string or a number`);
  }
  return {
    message_id: requireString(obj, 'message_id'),
    event_type: requireString(obj, 'event_type'),
    timestamp,
    received,
    traits,
  };
}

/**
 * Where a reader that already has `JSON.stringify(event.traits)` leaves it on
 * the event (the ingest worker makes it on the other core), with the traits
 * object it was made from, so that an event copied with other traits
 * (`{...e, traits}`) is not taken for it. Symbols: JSON and `Object.keys`
 * never see them. Plain properties set in the event's object literal, not a
 * WeakMap: a WeakMap entry per event cost about 1.5 µs on the benchmark machine.
 */
export const TRAITS_JSON = Symbol('waymark.traitsJSON');
export const TRAITS_JSON_OF = Symbol('waymark.traitsJSONOf');

/** An event as such a reader makes it. */
export interface EventWithTraitsJSON extends WaymarkEvent {
  [TRAITS_JSON]?: string | undefined;
  [TRAITS_JSON_OF]?: object | undefined;
}

/**
 * `JSON.stringify(event.traits)`, taken from the event when a reader left it
 * there. It is taken once and then dropped: an event can stay in memory long
 * after it is stored (in its open streams), and its traits text with it would
 * about double what it holds.
 */
export function takeTraitsJSON(event: WaymarkEvent): string {
  const e = event as EventWithTraitsJSON;
  const json = e[TRAITS_JSON];
  if (json === undefined || e[TRAITS_JSON_OF] !== e.traits) return JSON.stringify(event.traits);
  e[TRAITS_JSON] = undefined;
  e[TRAITS_JSON_OF] = undefined;
  return json;
}
