import type { TraitValue, WaymarkEvent } from '../model/event.js';
import { Instant } from '../model/instant.js';
import { distinguishingToJSON } from '../engine/distinguishing.js';
import type { DeadLetter, StreamRecord, StreamState } from '../store/store.js';

/** An event as JSON (product.md): ISO-8601 UTC timestamps with six fraction digits, datetime traits likewise. */
export interface EventJSON {
  message_id: string;
  event_type: string;
  timestamp: string;
  received: string;
  traits: Record<string, string | number>;
}

/** A stream as JSON (product.md), plus the retry state `attempts`, `last_error`, `retry_at`. */
export interface StreamJSON {
  id: number;
  trigger: string;
  state: StreamState;
  distinguished_by: ReturnType<typeof distinguishingToJSON>;
  first: string;
  last: string;
  fire_at: string | null;
  expire_at: string | null;
  event_count: number;
  outcome: 'fired' | 'expired' | null;
  attempts: number;
  last_error: string | null;
  retry_at: string | null;
}

export interface DeadLetterJSON {
  id: number | null;
  received: string;
  source: string;
  reason: string;
  payload: string;
}

function iso(t: Instant | null): string | null {
  return t === null ? null : t.toISOString();
}

function traitJSON(v: TraitValue): string | number {
  return v instanceof Instant ? v.toISOString() : v;
}

/**
 * ```ts
 * streamToJSON(record);
 * // {"id": 7, "trigger": "build_time", "state": "active", "distinguished_by": {"instance_id": "…"},
 * //  "first": "…Z", "last": "…Z", "fire_at": null, "expire_at": "…Z", "event_count": 3, "outcome": null,
 * //  "attempts": 0, "last_error": null, "retry_at": null}
 * ```
 */
export function streamToJSON(s: StreamRecord): StreamJSON {
  return {
    id: s.id,
    trigger: s.trigger,
    state: s.state,
    distinguished_by: distinguishingToJSON(s.distinguishedBy),
    first: s.first.toISOString(),
    last: s.last.toISOString(),
    fire_at: iso(s.fireAt),
    expire_at: iso(s.expireAt),
    event_count: s.eventCount,
    outcome: s.outcome,
    attempts: s.attempts,
    last_error: s.lastError,
    retry_at: iso(s.retryAt),
  };
}

/** The wire shape of an event (what `JSON.stringify(event)` gives, built explicitly so extra fields never leak). */
export function eventToJSON(e: WaymarkEvent): EventJSON {
  const traits: Record<string, string | number> = {};
  for (const [name, v] of Object.entries(e.traits)) traits[name] = traitJSON(v);
  return {
    message_id: e.message_id,
    event_type: e.event_type,
    timestamp: e.timestamp.toISOString(),
    received: e.received.toISOString(),
    traits,
  };
}

/** A dead letter as JSON: `{id, received, source, reason, payload}`. */
export function deadLetterToJSON(d: DeadLetter): DeadLetterJSON {
  return {
    id: d.id ?? null,
    received: d.received.toISOString(),
    source: d.source,
    reason: d.reason,
    payload: d.payload,
  };
}
