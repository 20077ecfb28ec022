import type { Micros } from '../model/instant.js';
import type { Notification } from '../model/notification.js';

/** One delivered notification of the generator. */
export interface GeneratedNotification {
  /** When the service emitted it (the true time; the written `timestamp` may be skewed). */
  emitted: Micros;
  /** When a consumer receives it (emitted + transport delay). */
  received: Micros;
  /** The notification, or `null` for a malformed one. */
  notification: Notification | null;
  /** The serialized JSON line, envelope applied, no newline. */
  line: string;
}
