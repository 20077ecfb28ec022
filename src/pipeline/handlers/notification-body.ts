import type { WaymarkEvent } from '../../model/event.js';
import { Instant } from '../../model/instant.js';

/** `publisher_id` of the notifications waymark builds. */
export const WAYMARK_PUBLISHER_ID = 'waymark';

/**
 * An event as the body of an OpenStack notification (notifications.md):
 * `message_id`, `event_type`, `timestamp` in OpenStack form
 * (`2014-06-11 16:09:41.123456`), `priority: INFO`, `publisher_id: waymark`,
 * and the traits as the `payload`, datetimes in OpenStack form too.
 *
 * ```ts
 * notificationBody(event);
 * // {message_id: '…', event_type: 'compute.instance.exists.verified', timestamp: '2014-06-12 00:01:02.000000',
 * //  priority: 'INFO', publisher_id: 'waymark', payload: {instance_id: '…', launched_at: '2014-06-11 16:09:41.123456', …}}
 * ```
 */
export function notificationBody(event: WaymarkEvent): Record<string, unknown> {
  const payload: Record<string, string | number> = {};
  for (const [name, v] of Object.entries(event.traits)) {
    payload[name] = v instanceof Instant ? v.toOpenStack() : v;
  }
  return {
    message_id: event.message_id,
    event_type: event.event_type,
    timestamp: event.timestamp.toOpenStack(),
    priority: 'INFO',
    publisher_id: WAYMARK_PUBLISHER_ID,
    payload,
  };
}

/** Whether `value` looks like a {@link WaymarkEvent} (as opposed to a notification body). */
export function isWaymarkEvent(value: unknown): value is WaymarkEvent {
  if (value === null || typeof value !== 'object') return false;
  const e = value as Partial<WaymarkEvent>;
  return (
    typeof e.event_type === 'string' &&
    e.timestamp instanceof Instant &&
    e.traits !== null &&
    typeof e.traits === 'object'
  );
}
