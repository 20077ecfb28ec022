import type { TraitValue, WaymarkEvent } from '../../model/event.js';
import { WaymarkError } from '../../model/errors.js';
import { Instant } from '../../model/instant.js';

/**
 * The checks of the OpenStack billing audit (`usage` handler), after StackTach
 * winchester's UsageHandler, with its error codes:
 *
 * | code | failure |
 * |---|---|
 * | `U0` | instance events but no `.exists` for them in the stream |
 * | `U1` | `.exists` of an active instance has no `launched_at` |
 * | `U2` | a field (`launched_at`, flavor, tenant, image os, …) of the `.exists` differs from the instance's latest event of the period, or `launched_at`/`deleted_at` from the `.delete.end` |
 * | `U3` | `.exists` has `deleted_at` but its state is not `deleted` |
 * | `U4` | `.exists` `deleted_at` is before its `launched_at` |
 * | `U5` | `.exists` `deleted_at` is inside the audit period but no `.delete.end` was seen |
 * | `U6` | a `.delete.end` was seen but the `.exists` has no `deleted_at` |
 * | `U7` | more than one `.delete.end` |
 * | `U8` | `.exists` `launched_at` is inside the audit period but no event of the period carries that launch |
 *
 * The first failing check (in that order of winchester: launch, fields, delete)
 * is the result.
 */
export type UsageErrorCode = 'U0' | 'U1' | 'U2' | 'U3' | 'U4' | 'U5' | 'U6' | 'U7' | 'U8';

export interface UsageVerdict {
  /** `undefined` when verified. */
  readonly error?: UsageErrorCode;
  readonly reason?: string;
  /** A note on a verified (or failed) audit: what could not be checked. */
  readonly warning?: string;
}

/** Winchester's core fields plus the flavor's numeric id. */
export const DEFAULT_USAGE_FIELDS: readonly string[] = [
  'launched_at',
  'instance_type_id',
  'instance_flavor_id',
  'tenant_id',
  'os_architecture',
  'os_version',
  'os_distro',
];

const PREFIX = 'compute.instance.';
const DELETE_END = 'compute.instance.delete.end';
/** The steps of a resize: it is in flight from `resize.prep.start` until confirmed or reverted. */
const RESIZE_STEPS = new Set(['resize.prep', 'resize', 'finish_resize']);
const RESIZE_FINISH = new Set(['resize.confirm', 'resize.revert']);

/** A failed check (internal: becomes the verdict, never escapes {@link auditExists}). */
class Failure extends WaymarkError {
  override name = 'UsageAuditFailure';
  constructor(
    readonly code: UsageErrorCode,
    readonly reason: string,
  ) {
    super(`${code}: ${reason}`);
  }
}

function show(v: TraitValue | undefined): string {
  return v === undefined ? 'none' : v instanceof Instant ? v.toISOString() : String(v);
}

function same(a: TraitValue, b: TraitValue): boolean {
  if (a instanceof Instant || b instanceof Instant) {
    return a instanceof Instant && b instanceof Instant && a.us === b.us;
  }
  return a === b;
}

function instant(e: WaymarkEvent, trait: string): Instant | undefined {
  const v = e.traits[trait];
  return v instanceof Instant ? v : undefined;
}

function within(t: Instant, begin: Instant | undefined, end: Instant | undefined): boolean {
  return begin !== undefined && end !== undefined && t.us >= begin.us && t.us <= end.us;
}

/** Operations in flight at the end of a block, and where the oldest of them started. */
export interface InFlight {
  /** `compute.instance.resize`, `compute.instance.rebuild`, … (sorted). */
  readonly operations: readonly string[];
  /** Index in the block of the oldest in-flight operation's `.start` (`-1` when none). */
  readonly since: number;
}

/**
 * Operations started in `block` and not finished by its end. A resize runs
 * from `resize.prep.start` until `resize.confirm.end` / `resize.revert.end`;
 * Nova's `*_instance` error notifications and `.error` events end whatever was
 * running; an `.end` whose `.start` is not in the block is ignored.
 */
export function operationsInFlight(block: readonly WaymarkEvent[]): InFlight {
  const open = new Map<string, number>();
  block.forEach((e, i) => {
    const type = e.event_type;
    if (!type.startsWith(PREFIX)) {
      if (type.endsWith('_instance')) open.clear();
      return;
    }
    const rest = type.slice(PREFIX.length);
    const dot = rest.lastIndexOf('.');
    if (dot < 0) return;
    const step = rest.slice(0, dot);
    const edge = rest.slice(dot + 1);
    if (step === 'shutdown' || step.startsWith('exists')) return;
    const op = RESIZE_STEPS.has(step) || RESIZE_FINISH.has(step) ? 'resize' : step;
    if (edge === 'start') {
      if (!open.has(op)) open.set(op, i);
    } else if (edge === 'error' || (edge === 'end' && !RESIZE_STEPS.has(step))) open.delete(op);
  });
  return {
    operations: [...open.keys()].sort().map((op) => PREFIX + op),
    since: open.size === 0 ? -1 : Math.min(...open.values()),
  };
}

function confirmLaunchedAt(exists: WaymarkEvent, block: readonly WaymarkEvent[]): void {
  if (exists.traits['state'] !== 'active') return;
  const launchedAt = instant(exists, 'launched_at');
  if (launchedAt === undefined) throw new Failure('U1', '.exists of an active instance has no launched_at');
  const begin = instant(exists, 'audit_period_beginning');
  const end = instant(exists, 'audit_period_ending');
  if (within(launchedAt, begin, end) && !block.some((e) => instant(e, 'launched_at')?.us === launchedAt.us)) {
    throw new Failure(
      'U8',
      `.exists launched_at ${launchedAt.toISOString()} is in the audit period, but no event of the period carries that launch`,
    );
  }
}

function verifyFields(exists: WaymarkEvent, other: WaymarkEvent, fields: readonly string[]): void {
  for (const field of fields) {
    const a = exists.traits[field];
    const b = other.traits[field];
    if (a === undefined || b === undefined || same(a, b)) continue;
    throw new Failure(
      'U2',
      `conflicting ${field}: .exists has ${show(a)}, ${other.event_type} at ${other.timestamp.toISOString()} has ${show(b)}`,
    );
  }
}

/** The latest event of `block[0..upTo]` that carries `field`. */
function latestCarrier(
  block: readonly WaymarkEvent[],
  field: string,
  upTo: number,
): WaymarkEvent | undefined {
  for (let i = Math.min(upTo, block.length - 1); i >= 0; i--) {
    const e = block[i] as WaymarkEvent;
    if (e.traits[field] !== undefined) return e;
  }
  return undefined;
}

/**
 * Each field checked against the latest event of the block that carries it.
 * While an operation is in flight (`since` >= 0) the `.exists` may show the
 * instance before or after it, so the value as of the operation's `.start`
 * (the latest carrier up to it) is accepted too.
 */
function verifyLatest(
  exists: WaymarkEvent,
  block: readonly WaymarkEvent[],
  fields: readonly string[],
  since: number,
): void {
  for (const field of fields) {
    const latest = latestCarrier(block, field, block.length - 1);
    const mine = exists.traits[field];
    if (latest === undefined || mine === undefined) continue;
    if (since >= 0) {
      const before = latestCarrier(block, field, since);
      const b = before?.traits[field];
      if (b !== undefined && same(mine, b)) continue;
    }
    verifyFields(exists, latest, [field]);
  }
}

function confirmDelete(exists: WaymarkEvent, block: readonly WaymarkEvent[]): void {
  const deletes = block.filter((e) => e.event_type === DELETE_END);
  const deletedAt = instant(exists, 'deleted_at');
  if (deletedAt === undefined && deletes.length > 0) {
    throw new Failure('U6', `${DELETE_END} seen but .exists has no deleted_at`);
  }
  if (deletedAt !== undefined && exists.traits['state'] !== 'deleted') {
    throw new Failure(
      'U3',
      `.exists has deleted_at but its state is ${show(exists.traits['state'])}, not deleted`,
    );
  }
  if (deletedAt !== undefined && deletes.length === 0) {
    const launchedAt = instant(exists, 'launched_at');
    if (launchedAt !== undefined && deletedAt.us < launchedAt.us) {
      throw new Failure(
        'U4',
        `.exists deleted_at ${deletedAt.toISOString()} is before its launched_at ${launchedAt.toISOString()}`,
      );
    }
    if (
      within(deletedAt, instant(exists, 'audit_period_beginning'), instant(exists, 'audit_period_ending'))
    ) {
      throw new Failure(
        'U5',
        `.exists deleted_at ${deletedAt.toISOString()} is in the audit period, but no ${DELETE_END} was seen`,
      );
    }
  }
  if (deletes.length > 1) throw new Failure('U7', `${deletes.length} ${DELETE_END} events`);
  const last = deletes[deletes.length - 1];
  if (last !== undefined) verifyFields(exists, last, ['launched_at', 'deleted_at']);
}

/**
 * Audit one `.exists` against `block`, the same instance's events of its period
 * (the stream's events before it, after any earlier `.exists`), sorted.
 *
 * Each compared field must equal its value in the latest event of the block
 * that carries it. While an operation is in flight at the end of the block (a
 * resize not yet confirmed, or an operation whose `.end` was lost) the `.exists`
 * may show the instance as it was before the operation or as it is after it, so
 * the value as of the operation's `.start` is accepted too, and the verdict
 * carries a `warning` naming the operation.
 *
 * ```ts
 * auditExists(exists, blockEvents, DEFAULT_USAGE_FIELDS); // {} when verified, {error: 'U2', reason: '…'} otherwise
 * ```
 */
export function auditExists(
  exists: WaymarkEvent,
  block: readonly WaymarkEvent[],
  fields: readonly string[],
): UsageVerdict {
  const inFlight = operationsInFlight(block);
  const warning =
    inFlight.since < 0
      ? undefined
      : `${inFlight.operations.join(', ')} in progress at the end of the period: the .exists may show the instance before or after it`;
  try {
    confirmLaunchedAt(exists, block);
    verifyLatest(exists, block, fields, inFlight.since);
    confirmDelete(exists, block);
  } catch (err) {
    if (!(err instanceof Failure)) throw err;
    return { error: err.code, reason: err.reason, ...(warning === undefined ? {} : { warning }) };
  }
  return warning === undefined ? {} : { warning };
}
