import { ConfigError, type ConfigProblem } from '../../config/config-error.js';
import { US_PER_MINUTE, US_PER_SECOND, type Micros } from '../../model/instant.js';
import type { Notification } from '../../model/notification.js';
import { TimestampFormatter, fastUuid } from '../fast-format.js';
import type { Rng } from '../rng.js';
import type { PlannedNotification, PlannedOperation, Scenario } from '../scenario.js';

/** `[min, max]` in minutes; a duration is drawn uniformly in between, at microsecond resolution. */
export type MinuteRange = readonly [number, number];

/** The phases a test run goes through, in order. */
export const TESTRUN_PHASES = ['initialisation', 'queue', 'flash', 'boot', 'test', 'publish'] as const;
export type TestrunPhase = (typeof TESTRUN_PHASES)[number];

/** Phases a run can fail in. */
export type FailurePhase = 'flash' | 'boot' | 'test';

/** Options of {@link testrunScenario}; defaults are the seed's synthetic data (testruns.md). */
export interface TestrunScenarioOptions {
  /** request -> queue_start. Default [1, 2]. */
  initialisation?: MinuteRange;
  /** queue_start -> queue_end. Default [1, 5]. */
  queue?: MinuteRange;
  /** One flash_start -> flash_end iteration. Default [10, 20]. */
  flash?: MinuteRange;
  /**
   * The gap queue_end -> flash_start, flash_end -> boot_start and boot_end ->
   * test_start (no phase counts it). Default [0, 0]: as in the seed, each phase
   * starts when the previous one ends.
   */
  handover?: MinuteRange;
  /** boot_start -> boot_end. Default [5, 10]. */
  boot?: MinuteRange;
  /** test_start -> test_end. Default [20, 40]. */
  test?: MinuteRange;
  /** test_end (or the failing end event) -> publish. Default [5, 5]. */
  publish?: MinuteRange;
  /** Chance that a flash iteration is retried (another flash_start/flash_end pair). Default 0.15. */
  flashRetry?: number;
  /** At most this many flash iterations per run. Default 4. */
  maxFlashIterations?: number;
  /** Gap between a flash_end and the retry's flash_start. Default [0.2, 2]. */
  flashRetryGap?: MinuteRange;
  /** Fraction of runs that fail. Default 0.05. */
  failureRate?: number;
  /** Relative weights of the phase a failing run fails in. Default flash 2, boot 1, test 3. */
  failureWeights?: Partial<Record<FailurePhase, number>>;
  /** Fraction of notifications received at their emit time exactly. Default 0.4. */
  receiveImmediate?: number;
  /** Fraction received late: up to `receiveMaxDelayS` after emit. Default 0.05. */
  receiveLate?: number;
  /** The longest transport delay, in seconds. Default 60. Other delays are ~1.5 s on average. */
  receiveMaxDelayS?: number;
  deviceGroups?: readonly string[];
  queues?: readonly string[];
  configurations?: readonly string[];
  /** CI worker hosts; a run uses 1-3 of them. Default `ci-host-01` … `ci-host-24`. */
  hosts?: readonly string[];
  requestors?: readonly string[];
}

const DEFAULTS = {
  initialisation: [1, 2] as MinuteRange,
  queue: [1, 5] as MinuteRange,
  flash: [10, 20] as MinuteRange,
  handover: [0, 0] as MinuteRange,
  boot: [5, 10] as MinuteRange,
  test: [20, 40] as MinuteRange,
  publish: [5, 5] as MinuteRange,
  flashRetryGap: [0.2, 2] as MinuteRange,
};
const RANGE_KEYS = Object.keys(DEFAULTS) as (keyof typeof DEFAULTS)[];

const ERRORS: Record<FailurePhase, readonly string[]> = {
  flash: [
    "FlashError: fastboot flash system failed: remote: partition table doesn't exist",
    'FlashError: device not found after reboot to bootloader (timeout 300s)',
  ],
  boot: [
    'BootTimeoutError: device did not reach sys.boot_completed=1 within 600s',
    'BootError: kernel panic - not syncing: VFS: Unable to mount root fs',
  ],
  test: [
    'TestHarnessError: instrumentation run crashed: Process crashed (java.lang.OutOfMemoryError)',
    'DeviceLostError: adb: device offline during test execution',
  ],
};

interface Resolved {
  ranges: Record<keyof typeof DEFAULTS, readonly [Micros, Micros]>;
  flashRetry: number;
  maxFlashIterations: number;
  failureRate: number;
  failureWeights: [FailurePhase, number][];
  receiveImmediate: number;
  receiveLate: number;
  receiveMaxDelay: Micros;
  deviceGroups: readonly string[];
  queues: readonly string[];
  configurations: readonly string[];
  hosts: readonly string[];
  requestors: readonly string[];
}

function resolve(o: TestrunScenarioOptions): Resolved {
  const problems: ConfigProblem[] = [];
  const bad = (path: string, message: string): void => {
    problems.push({ file: 'testrun scenario options', path, message });
  };
  const ranges = {} as Resolved['ranges'];
  for (const key of RANGE_KEYS) {
    const r = o[key] ?? DEFAULTS[key];
    if (
      !Array.isArray(r) ||
      r.length !== 2 ||
      !r.every((x) => Number.isFinite(x)) ||
      r[0] < 0 ||
      r[0] > r[1]
    ) {
      bad(key, `expected [min, max] minutes with 0 <= min <= max, got ${JSON.stringify(r)}`);
      continue;
    }
    ranges[key] = [Math.round(r[0] * US_PER_MINUTE), Math.round(r[1] * US_PER_MINUTE)];
  }
  const fraction = (key: keyof TestrunScenarioOptions, value: number): number => {
    if (!(value >= 0 && value <= 1)) bad(key, `expected a fraction in [0, 1], got ${value}`);
    return value;
  };
  const maxFlashIterations = o.maxFlashIterations ?? 4;
  if (!Number.isInteger(maxFlashIterations) || maxFlashIterations < 1) {
    bad('maxFlashIterations', `expected an integer >= 1, got ${maxFlashIterations}`);
  }
  const weights = { flash: 2, boot: 1, test: 3, ...o.failureWeights };
  const failureWeights = Object.entries(weights) as [FailurePhase, number][];
  for (const [phase, w] of failureWeights) {
    if (!(phase in ERRORS)) bad(`failureWeights.${phase}`, 'expected flash, boot or test');
    else if (!(w >= 0)) bad(`failureWeights.${phase}`, `expected a weight >= 0, got ${w}`);
  }
  const receiveMaxDelayS = o.receiveMaxDelayS ?? 60;
  if (!(receiveMaxDelayS >= 0)) bad('receiveMaxDelayS', `expected seconds >= 0, got ${receiveMaxDelayS}`);
  const list = (key: keyof TestrunScenarioOptions, v: readonly string[]): readonly string[] => {
    if (v.length === 0) bad(key, 'expected a non-empty list');
    return v;
  };
  const resolved: Resolved = {
    ranges,
    flashRetry: fraction('flashRetry', o.flashRetry ?? 0.15),
    maxFlashIterations,
    failureRate: fraction('failureRate', o.failureRate ?? 0.05),
    failureWeights: failureWeights.filter(([, w]) => w > 0),
    receiveImmediate: fraction('receiveImmediate', o.receiveImmediate ?? 0.4),
    receiveLate: fraction('receiveLate', o.receiveLate ?? 0.05),
    receiveMaxDelay: Math.round(receiveMaxDelayS * US_PER_SECOND),
    deviceGroups: list(
      'deviceGroups',
      o.deviceGroups ?? ['pixel-8', 'galaxy-s23', 'rpi-5', 'jetson-orin', 'imx8-evk'],
    ),
    queues: list('queues', o.queues ?? ['presubmit', 'postsubmit', 'nightly', 'release']),
    configurations: list(
      'configurations',
      o.configurations ?? ['userdebug-full', 'user-full', 'eng-minimal', 'userdebug-gms', 'user-kiosk'],
    ),
    hosts: list(
      'hosts',
      o.hosts ?? Array.from({ length: 24 }, (_, i) => `ci-host-${String(i + 1).padStart(2, '0')}`),
    ),
    requestors: list(
      'requestors',
      o.requestors ?? [
        'ana@example.com',
        'bo@example.com',
        'chen@example.com',
        'dee@example.org',
        'eli@example.net',
      ],
    ),
  };
  if (resolved.failureRate > 0 && resolved.failureWeights.length === 0)
    bad('failureWeights', 'every weight is 0');
  if (resolved.receiveImmediate + resolved.receiveLate > 1) {
    bad('receiveLate', 'receiveImmediate + receiveLate must not exceed 1');
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return resolved;
}

/** The CI test-run scenario; see README.md for failure shapes and flash iterations. */
class TestrunScenario implements Scenario {
  readonly name = 'testruns';
  private readonly fmt = new TimestampFormatter();
  constructor(private readonly o: Resolved) {}

  private draw(rng: Rng, key: keyof typeof DEFAULTS): Micros {
    const [min, max] = this.o.ranges[key];
    return min === max ? min : min + Math.floor(rng.float() * (max - min + 1));
  }

  private received(rng: Rng, at: Micros): Micros {
    const r = rng.float();
    if (r < this.o.receiveImmediate) return at;
    const max = this.o.receiveMaxDelay;
    if (r < this.o.receiveImmediate + this.o.receiveLate) return at + Math.floor(rng.float() * (max + 1));
    return at + Math.min(max, Math.round(rng.exponential(1.5 * US_PER_SECOND)));
  }

  next(at: Micros, rng: Rng): PlannedOperation {
    const o = this.o;
    const testrunId = fastUuid(rng);
    const requestId = `req-${fastUuid(rng)}`;
    const deviceGroup = rng.pick(o.deviceGroups);
    const queue = rng.pick(o.queues);
    const configuration = rng.pick(o.configurations);
    const requestor = rng.pick(o.requestors);
    const workers: [string, number][] = [];
    for (let i = rng.int(1, 3); i > 0; i--) workers.push([rng.pick(o.hosts), rng.int(0, 7)]);
    const host = (workers[0] as [string, number])[0];

    let failIn: FailurePhase | undefined;
    if (rng.chance(o.failureRate)) {
      const total = o.failureWeights.reduce((s, [, w]) => s + w, 0);
      let r = rng.uniform(0, total);
      failIn = (o.failureWeights[o.failureWeights.length - 1] as [FailurePhase, number])[0];
      for (const [phase, w] of o.failureWeights) {
        if (r < w) {
          failIn = phase;
          break;
        }
        r -= w;
      }
    }
    const error = failIn === undefined ? undefined : rng.pick(ERRORS[failIn]);

    // Emit times, in order. A failing phase ends after part of its drawn duration.
    const events: [string, Micros][] = [];
    let t = at;
    events.push(['request', t]);
    events.push(['queue_start', (t += this.draw(rng, 'initialisation'))]);
    events.push(['queue_end', (t += this.draw(rng, 'queue'))]);
    t += this.draw(rng, 'handover');
    let iterations = 1;
    while (iterations < o.maxFlashIterations && rng.chance(o.flashRetry)) iterations++;
    for (let i = 0; i < iterations; i++) {
      if (i > 0) t += this.draw(rng, 'flashRetryGap');
      events.push(['flash_start', t]);
      const d = this.draw(rng, 'flash');
      events.push(['flash_end', (t += failIn === 'flash' && i === iterations - 1 ? partial(rng, d) : d)]);
    }
    if (failIn !== 'flash') {
      events.push(['boot_start', (t += this.draw(rng, 'handover'))]);
      const d = this.draw(rng, 'boot');
      events.push(['boot_end', (t += failIn === 'boot' ? partial(rng, d) : d)]);
      if (failIn !== 'boot') {
        events.push(['test_start', (t += this.draw(rng, 'handover'))]);
        const d2 = this.draw(rng, 'test');
        events.push(['test_end', (t += failIn === 'test' ? partial(rng, d2) : d2)]);
      }
    }
    events.push(['publish', (t += this.draw(rng, 'publish'))]);

    const failEnd = failIn === undefined ? -1 : events.length - 2;
    const notifications: PlannedNotification[] = events.map(([name, emit], i) => {
      const payload: Record<string, unknown> = {
        testrun_id: testrunId,
        device_group: deviceGroup,
        queue,
        configuration,
        host_worker_instances: workers.map(([h, n]) => [h, n]),
        requestor,
        request_id: requestId,
      };
      const failing = error !== undefined && i >= failEnd;
      if (failing) payload['error'] = error;
      const notification: Notification = {
        message_id: fastUuid(rng),
        event_type: `testrun.${name}`,
        timestamp: this.fmt.openstack(emit),
        publisher_id: `ci.${host}`,
        priority: failing ? 'ERROR' : 'INFO',
        _context_request_id: requestId,
        payload,
      };
      return { at: emit, received: this.received(rng, emit), notification };
    });

    const phases = phasesOf(events);
    const attributes: Record<string, string> = {
      device_group: deviceGroup,
      queue,
      configuration,
      requestor,
      request_id: requestId,
      host,
      flash_iterations: String(iterations),
    };
    if (failIn !== undefined) attributes['failed_phase'] = failIn;
    return {
      kind: 'testrun',
      group_by: 'testrun_id',
      id: testrunId,
      start: at,
      end: t,
      outcome: failIn === undefined ? 'completed' : 'failed',
      phases,
      attributes,
      notifications,
    };
  }
}

/** A failing phase stops after 10-100 % of its drawn duration. */
function partial(rng: Rng, d: Micros): Micros {
  return Math.round(d * rng.uniform(0.1, 1));
}

const PHASE_EVENTS: Record<TestrunPhase, [string, string]> = {
  initialisation: ['request', 'queue_start'],
  queue: ['queue_start', 'queue_end'],
  flash: ['flash_start', 'flash_end'],
  boot: ['boot_start', 'boot_end'],
  test: ['test_start', 'test_end'],
  publish: ['test_end', 'publish'],
};

/** Seconds per phase: first start event to last end event, for phases whose both events were emitted. */
function phasesOf(events: readonly [string, Micros][]): Record<string, number> {
  const first = new Map<string, Micros>();
  const last = new Map<string, Micros>();
  for (const [name, t] of events) {
    if (!first.has(name)) first.set(name, t);
    last.set(name, t);
  }
  const out: Record<string, number> = {};
  for (const phase of TESTRUN_PHASES) {
    const [from, to] = PHASE_EVENTS[phase];
    const a = first.get(from);
    const b = last.get(to);
    if (a !== undefined && b !== undefined) out[phase] = (b - a) / US_PER_SECOND;
  }
  return out;
}

/**
 * The CI test-run scenario of testruns.md: each operation is one run emitting
 * `testrun.request` … `testrun.publish` with emit and receive times, and a truth
 * record with its phases in seconds. Throws {@link ConfigError} for bad options.
 *
 * @example
 * ```ts
 * const scenario = testrunScenario({ flash: [5, 8], failureRate: 0.1 });
 * const run = scenario.next(Instant.parse('2024-03-01 09:00:00').us, new Rng(7));
 * run?.kind;          // 'testrun'
 * run?.phases?.flash; // seconds, first flash_start to last flash_end
 * ```
 */
export function testrunScenario(options: TestrunScenarioOptions = {}): Scenario {
  return new TestrunScenario(resolve(options));
}
