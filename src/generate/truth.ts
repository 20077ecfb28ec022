import { US_PER_SECOND, type Micros } from '../model/instant.js';
import type { PlannedOperation } from './scenario.js';
import type { TimestampFormatter } from './fast-format.js';

/**
 * What a correct engine must conclude about one operation: one line of
 * `waymark generate --truth FILE` (product.md, "Interfaces"). Extra attributes
 * of the operation (`request_id`, `tenant_id`, `host`, `variant`, ...) follow
 * the fixed fields.
 *
 * Outcomes: `completed`; `failed` (the operation reported an error, `end` is the
 * error notification); `never_ended` (its end notification was dropped or
 * malformed by a fault); `never_started` (its start notification was lost, its
 * end arrived); `cut_off` (the run stopped, by `duration` or `count`, before its
 * end was emitted; `end` is null).
 */
export interface TruthRecord {
  kind: string;
  group_by: string;
  id: string;
  /** ISO UTC with 6 fraction digits, as the start notification's `timestamp` says (so skewed when skew applies). */
  start: string;
  end: string | null;
  duration_s: number | null;
  outcome: string;
  /** `drop:<event_type>`, `dup:<event_type>`, `reorder`, `skew:+1.234567s`, `malformed:<event_type>`. */
  faults: string[];
  phases?: Record<string, number>;
  [attribute: string]: unknown;
}

/** Seconds with at most 6 fraction digits. */
export function seconds(us: Micros): number {
  return Math.round(us) / US_PER_SECOND;
}

/** Build the record; `start`/`end` are the times to report (already skewed), `end` null when not concluded. */
export function truthRecord(
  op: PlannedOperation,
  start: Micros,
  end: Micros | null,
  outcome: string,
  faults: string[],
  fmt: TimestampFormatter,
): TruthRecord {
  const rec: TruthRecord = {
    kind: op.kind,
    group_by: op.group_by,
    id: op.id,
    start: fmt.iso(start),
    end: end === null ? null : fmt.iso(end),
    duration_s: end === null ? null : seconds(end - start),
    outcome,
    faults,
  };
  if (op.phases !== undefined && (outcome === 'completed' || outcome === 'failed')) rec.phases = op.phases;
  if (op.attributes !== undefined) {
    for (const [k, v] of Object.entries(op.attributes)) if (!(k in rec)) rec[k] = v;
  }
  return rec;
}
