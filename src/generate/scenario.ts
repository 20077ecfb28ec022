import type { Micros } from '../model/instant.js';
import type { Notification } from '../model/notification.js';
import type { Rng } from './rng.js';

/** One notification an operation will emit, with its emit time. */
export interface PlannedNotification {
  /** Emit time (the notification's `timestamp`), microseconds since the epoch. */
  at: Micros;
  /**
   * When a consumer receives it, if the scenario models transport delay itself
   * (the test-run scenario does). Faults may shift it further.
   */
  received?: Micros;
  notification: Notification;
}

/**
 * What a correct engine must conclude about one operation: the truth record of
 * product.md's "Interfaces" before faults are applied (the generator adds
 * `faults` and adjusts `outcome` when a fault removed the end).
 */
export interface PlannedOperation {
  /** `compute.instance.create`, `testrun`, … */
  kind: string;
  /** The trait that groups the operation's events: `instance_id`, `testrun_id`, `request_id`. */
  group_by: string;
  id: string;
  start: Micros;
  end: Micros | null;
  /** `completed`, `failed`, `never_ended`, … */
  outcome: string;
  /** Phase durations in seconds, for kinds that have phases. */
  phases?: Record<string, number>;
  /** Extra facts useful to verify against (e.g. request_id, instance_id, device_group). */
  attributes?: Record<string, string>;
  /** Ascending by `at`. */
  notifications: PlannedNotification[];
}

/**
 * A source of operations. The generator calls `next` at each operation start
 * time (non-decreasing) and merges every operation's notifications in time order.
 * A scenario keeps whatever state it needs (live instances, busy instances) so it
 * never plans an impossible sequence.
 */
export interface Scenario {
  readonly name: string;
  /** Plan an operation starting at `at`; `undefined` if none can start now. */
  next(at: Micros, rng: Rng): PlannedOperation | undefined;
  /**
   * Periodic operations due in `(from, to]` (e.g. the daily `.exists` audit at
   * midnight). Called as the clock advances, with non-overlapping windows.
   */
  periodic?(from: Micros, to: Micros, rng: Rng): PlannedOperation[];
}
