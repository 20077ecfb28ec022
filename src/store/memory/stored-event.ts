import type { TraitValue, WaymarkEvent } from '../../model/event.js';
import { Instant } from '../../model/instant.js';

/** The canonical datetime form (src/model/event.ts): such strings read back from JSON as datetimes. */
const CANONICAL_ISO_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

/**
 * The event as a durable store gives it back: its own copy, with the traits as
 * they survive JSON (`eventFromJSON`'s rule): text in the canonical datetime
 * form becomes an {@link Instant}, non-finite numbers are dropped. The memory
 * store keeps this so it behaves like the others.
 */
export function storedEvent(e: WaymarkEvent): WaymarkEvent {
  const traits: Record<string, TraitValue> = {};
  for (const name of Object.keys(e.traits)) {
    const v = e.traits[name] as TraitValue;
    if (typeof v === 'number') {
      if (Number.isFinite(v)) traits[name] = v === 0 ? 0 : v;
    } else if (typeof v === 'string') {
      traits[name] = v.length === 27 && CANONICAL_ISO_RE.test(v) ? Instant.parse(v) : v;
    } else {
      traits[name] = v;
    }
  }
  return {
    message_id: e.message_id,
    event_type: e.event_type,
    timestamp: e.timestamp,
    received: e.received,
    traits,
  };
}

/** A copy for a reader, so callers cannot change what the store holds. */
export function eventCopy(e: WaymarkEvent): WaymarkEvent {
  return { ...e, traits: { ...e.traits } };
}
