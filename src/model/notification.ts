import { WaymarkError } from './errors.js';

/**
 * A raw notification as OpenStack emits it: a JSON object with at least
 * `event_type`, usually `message_id`, `timestamp`, `publisher_id`, `priority`,
 * `payload` and `_context_*` fields. Everything else is free-form.
 */
export type Notification = Record<string, unknown>;

/**
 * The generator can simulate transport delay; it then writes the time a consumer
 * would have received the notification into this top-level field. Consumers that
 * see it use it as the event's `received` time instead of their own clock.
 */
export const SIMULATED_RECEIVED_FIELD = '_waymark_received';

/** A notification that is not a JSON object, or an oslo envelope that does not hold one. */
export class MalformedNotificationError extends WaymarkError {
  override name = 'MalformedNotificationError';
}

/**
 * Accepts a bare notification or an oslo messaging v2 envelope
 * (`{"oslo.version": "2.0", "oslo.message": "<json>"}`) and returns the notification.
 */
export function unwrapNotification(value: unknown): Notification {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new MalformedNotificationError(
      `expected a JSON object, got ${Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value}`,
    );
  }
  const obj = value as Notification;
  const inner = obj['oslo.message'];
  if (inner === undefined) return obj;
  if (typeof inner !== 'string') {
    throw new MalformedNotificationError('oslo envelope: "oslo.message" must be a JSON string');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(inner);
  } catch (cause) {
    throw new MalformedNotificationError(`oslo envelope: "oslo.message" is not valid JSON`, { cause });
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new MalformedNotificationError('oslo envelope: "oslo.message" must hold a JSON object');
  }
  return parsed as Notification;
}

/** Wrap a notification in the oslo messaging v2 envelope. */
export function wrapOslo(n: Notification): { 'oslo.version': '2.0'; 'oslo.message': string } {
  return { 'oslo.version': '2.0', 'oslo.message': JSON.stringify(n) };
}
