import type { Notification } from '../model/notification.js';

/**
 * A scenario may attach the notification's JSON text under this symbol (which
 * `JSON.stringify` ignores) when it can build it faster than `JSON.stringify`
 * would, e.g. from per-instance fragments serialized once. It must equal
 * `JSON.stringify(notification)`; the generator keeps it in step when faults
 * change the `timestamp` or add the received time, and falls back to
 * `JSON.stringify` otherwise.
 */
export const PRESERIALIZED: unique symbol = Symbol('waymark.preserialized');

/** A notification that may carry its own JSON text. */
export type MaybePreserialized = Notification & { [PRESERIALIZED]?: string };

/** A fixed part of a notification: its fields as an object and as JSON text without braces. */
export interface Fragment {
  readonly fields: Readonly<Record<string, unknown>>;
  /** `"a":1,"b":"x"` — empty for no fields. */
  readonly json: string;
}

export function fragment(fields: Record<string, unknown>): Fragment {
  return { fields, json: JSON.stringify(fields).slice(1, -1) };
}
