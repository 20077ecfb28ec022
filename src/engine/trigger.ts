import type { TraitValue, WaymarkEvent } from '../model/event.js';
import type { TimexExpression, TimeRange } from '../timex/index.js';

/**
 * A distinguishing value of a stream: a trait value, or the time range a timex
 * bucket (`{timestamp: day}`) put the trait's datetime in.
 */
export type DistinguishingValue = TraitValue | TimeRange;

/** One entry of `distinguished_by`: a trait name, optionally bucketed by a timex range expression. */
export interface DistinguishingTrait {
  /** The trait name (`instance_id`, `timestamp`). `timestamp` is the event's timestamp unless a trait of that name exists. */
  readonly trait: string;
  /** For `{trait: timex}`: evaluated with the trait's value as `$<trait>` (and `$timestamp`); must give a range. */
  readonly range?: TimexExpression;
}

/**
 * A compiled criterion (`match_criteria` / `fire_criteria` entry). `check` is
 * pure and never throws.
 */
export interface Criterion {
  /** How many matching events a fire criterion needs (default 1). */
  readonly number: number;
  /** `{dist_trait: event_trait}`: take that distinguishing value from another trait of the event. */
  readonly mapDistinguishedBy: Readonly<Record<string, string>>;
  /** Whether the event type passes the `event_type` globs (fast path, no allocation). */
  matchesType(eventType: string): boolean;
  /**
   * `undefined` when the event matches every condition (type, timestamp range,
   * traits); otherwise the first failing condition, in words, for `explain`:
   * e.g. `event_type "compute.instance.update" is not compute.instance.create.*`,
   * `trait memory_mb: 512 is not > 4096`, `trait os_distro: missing`.
   */
  check(event: WaymarkEvent): string | undefined;
}

/** A compiled trigger definition (triggers.md). */
export interface TriggerDefinition {
  readonly name: string;
  readonly distinguishedBy: readonly DistinguishingTrait[];
  /** An event belongs when it matches any of these. */
  readonly matchCriteria: readonly Criterion[];
  /** A stream fires when each of these is matched by at least `number` of its events. Empty: never fires. */
  readonly fireCriteria: readonly Criterion[];
  /** Evaluated with `$first`, `$last` and `$timestamp` (= last) after each event joins; must give a timestamp. */
  readonly expiration: TimexExpression;
  readonly firePipeline: string | undefined;
  readonly expirePipeline: string | undefined;
  /** Seconds between the fire criteria being met and firing (late events still join). */
  readonly fireDelaySeconds: number;
  readonly debugLevel: number;
  /** Accepted for compatibility; not used. */
  readonly loadCriteria: unknown;
  /** Where it was defined, for messages. */
  readonly source: { readonly file: string; readonly index: number };
}
