import { distinguishingValueString } from './distinguishing.js';
import type { Store, StreamRecord } from '../store/store.js';

/** One line of the generator's ground truth (the fields verify reads). */
export interface TruthLine {
  kind: string;
  group_by: string;
  id: string;
  duration_s: number | null;
  outcome: string;
  faults: string[];
  phases?: Record<string, number>;
}

/** How the operations of one truth kind show in the engine: which trigger, which meters. */
export interface VerifyMapping {
  readonly kind: string;
  readonly trigger: string;
  /** Meter whose sample is the operation's duration. */
  readonly durationMeter?: string;
  /** Meter name of a phase (`queue` -> `testrun_queue_seconds`). */
  readonly phaseMeter?: (phase: string) => string;
  /** What the engine should conclude per truth outcome; unlisted outcomes expect `expired`. */
  readonly expect: Readonly<Record<string, 'fired' | 'expired'>>;
}

/** The default config's triggers (definitions/triggers.yaml) against the generator's kinds. */
export const DEFAULT_VERIFY_MAPPINGS: readonly VerifyMapping[] = [
  {
    kind: 'compute.instance.create',
    trigger: 'build_time',
    durationMeter: 'build_seconds',
    // A build fires only on create.start + create.end: failed builds, lost starts and lost ends expire.
    expect: { completed: 'fired' },
  },
  {
    kind: 'testrun',
    trigger: 'testrun_phases',
    durationMeter: 'testrun_seconds',
    phaseMeter: (phase) => `testrun_${phase}_seconds`,
    // A run fires on testrun.publish, which failed runs and runs that lost their request still send.
    expect: { completed: 'fired', failed: 'fired', never_started: 'fired' },
  },
];

export interface VerifyMismatch {
  readonly kind: string;
  readonly id: string;
  readonly expected: string;
  readonly got: string;
}

export interface VerifyReport {
  /** Operations of mapped kinds in the truth. */
  readonly operations: number;
  /** Operations whose conclusion (and durations, when intact) the engine got right. */
  readonly correct: number;
  /** Operations not concluded yet at the store's clock: expiry not due, or fire_delay not over. */
  readonly pending: number;
  /** Operations none of whose events reached the store (all lost to faults): nothing to conclude. */
  readonly unobservable: number;
  /** Concluded streams (fired or expired) of the mapped triggers. */
  readonly concluded: number;
  /** correct / concluded streams (1 when there are none). */
  readonly precision: number;
  /** correct / (operations - pending - unobservable) (1 when there are none). */
  readonly recall: number;
  /** Durations and phases compared to the microsecond. */
  readonly durationsChecked: number;
  readonly mismatches: readonly VerifyMismatch[];
  /** Kinds in the truth no mapping covers, with counts. */
  readonly skippedKinds: Readonly<Record<string, number>>;
}

const sameMicros = (a: number, b: number): boolean => Math.round(a * 1e6) === Math.round(b * 1e6);

/**
 * Compare what the engine concluded (streams in the store, meter samples) with
 * the generator's ground truth: per operation, fired or expired as expected,
 * and, for operations no fault touched, durations and phases to the microsecond.
 */
export async function verifyAgainstTruth(
  store: Store,
  truth: readonly TruthLine[],
  mappings: readonly VerifyMapping[] = DEFAULT_VERIFY_MAPPINGS,
): Promise<VerifyReport> {
  const byKind = new Map(mappings.map((m) => [m.kind, m]));
  const streamsByTrigger = new Map<string, Map<string, StreamRecord[]>>();
  let concluded = 0;
  for (const m of mappings) {
    if (streamsByTrigger.has(m.trigger)) continue;
    const index = new Map<string, StreamRecord[]>();
    streamsByTrigger.set(m.trigger, index);
    let marker: string | undefined;
    do {
      const page = await store.queryStreams({
        trigger: m.trigger,
        limit: 1000,
        ...(marker ? { marker } : {}),
      });
      for (const s of page.items) {
        if (s.state === 'completed') concluded++;
        for (const v of Object.values(s.distinguishedBy)) {
          const key = distinguishingValueString(v);
          const list = index.get(key) ?? [];
          list.push(s);
          index.set(key, list);
        }
      }
      marker = page.next;
    } while (marker !== undefined);
  }
  const samples = new Map<number, Map<string, number>>();
  for (const s of await store.meterSamples()) {
    if (s.kind !== 'sample') continue;
    const m = samples.get(s.streamId) ?? new Map<string, number>();
    m.set(s.meter, s.value);
    samples.set(s.streamId, m);
  }

  const mismatches: VerifyMismatch[] = [];
  const skippedKinds: Record<string, number> = {};
  let operations = 0;
  let correct = 0;
  let pending = 0;
  let unobservable = 0;
  let durationsChecked = 0;
  for (const op of truth) {
    const m = byKind.get(op.kind);
    if (m === undefined) {
      skippedKinds[op.kind] = (skippedKinds[op.kind] ?? 0) + 1;
      continue;
    }
    operations++;
    const streams = streamsByTrigger.get(m.trigger)?.get(op.id) ?? [];
    const expected = m.expect[op.outcome] ?? 'expired';
    const fired = streams.filter((s) => s.outcome === 'fired');
    const expired = streams.filter((s) => s.outcome === 'expired');
    const open = streams.filter((s) => s.state !== 'completed');
    const lossy = op.faults.some((f) => f.startsWith('drop:') || f.startsWith('malformed:'));
    const miss = (got: string): void => {
      mismatches.push({ kind: op.kind, id: op.id, expected: `${expected} (truth: ${op.outcome})`, got });
    };
    if (streams.length === 0) {
      if (lossy) unobservable++;
      else miss('no stream');
      continue;
    }
    const waiting = expected === 'expired' ? ['active'] : ['ready'];
    if (fired.length === 0 && expired.length === 0 && open.every((s) => waiting.includes(s.state))) {
      pending++;
      continue;
    }
    const got = `${fired.length} fired, ${expired.length} expired, ${open.length} open (${open.map((s) => s.state).join(', ')})`;
    if (
      expected === 'fired'
        ? fired.length !== 1 || expired.length > 0
        : expired.length !== 1 || fired.length > 0
    ) {
      miss(got);
      continue;
    }
    if (expected === 'fired' && !lossy) {
      const values = samples.get((fired[0] as StreamRecord).id) ?? new Map<string, number>();
      const wrong: string[] = [];
      const check = (meter: string, want: number): void => {
        durationsChecked++;
        const have = values.get(meter);
        if (have === undefined || !sameMicros(have, want))
          wrong.push(`${meter} ${have ?? 'missing'} != ${want}`);
      };
      if (m.durationMeter !== undefined && op.duration_s !== null) check(m.durationMeter, op.duration_s);
      if (m.phaseMeter !== undefined && op.phases !== undefined) {
        for (const [phase, secs] of Object.entries(op.phases)) check(m.phaseMeter(phase), secs);
      }
      if (wrong.length > 0) {
        miss(`fired, but ${wrong.join('; ')}`);
        continue;
      }
    }
    correct++;
  }
  const due = operations - pending - unobservable;
  return {
    operations,
    correct,
    pending,
    unobservable,
    concluded,
    precision: concluded === 0 ? 1 : correct / concluded,
    recall: due === 0 ? 1 : correct / due,
    durationsChecked,
    mismatches,
    skippedKinds,
  };
}
