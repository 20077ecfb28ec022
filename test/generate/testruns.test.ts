import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import { ConfigError } from '../../src/config/config-error.js';
import { Rng } from '../../src/generate/rng.js';
import type { PlannedOperation, Scenario } from '../../src/generate/scenario.js';
import {
  testrunScenario,
  type TestrunScenarioOptions,
} from '../../src/generate/testruns/testrun-scenario.js';
import { Instant, parseMicros } from '../../src/model/instant.js';
import { REPO_ROOT } from '../helpers/paths.js';

const START = Instant.parse('2024-03-01 09:00:00').us;
const ORDER = [
  'request',
  'queue_start',
  'queue_end',
  'flash_start',
  'flash_end',
  'boot_start',
  'boot_end',
  'test_start',
  'test_end',
  'publish',
];

function runs(scenario: Scenario, count: number, seed: number): PlannedOperation[] {
  const rng = new Rng(seed);
  const out: PlannedOperation[] = [];
  for (let i = 0; i < count; i++) {
    // The seed's arrivals: i * 100 minutes + 0..20 minutes.
    const op = scenario.next(START + (i * 100 + rng.int(0, 20)) * 60_000_000, rng);
    assert.ok(op !== undefined);
    out.push(op);
  }
  return out;
}

const names = (op: PlannedOperation): string[] =>
  op.notifications.map((n) => (n.notification['event_type'] as string).replace(/^testrun\./, ''));
/** Emit seconds of each event, parsed back from the written timestamp. */
const emits = (op: PlannedOperation): number[] =>
  op.notifications.map((n) => parseMicros(n.notification['timestamp'] as string) / 1e6);
const payload = (op: PlannedOperation, i: number): Record<string, unknown> =>
  op.notifications[i]?.notification['payload'] as Record<string, unknown>;

/** Collapse repeated flash pairs, so a run with retries reads like the plain order. */
function collapseFlash(seq: string[]): string[] {
  const out: string[] = [];
  for (const s of seq) {
    if (
      (s === 'flash_start' || s === 'flash_end') &&
      out.includes('flash_end') &&
      !out.includes('boot_start')
    ) {
      if (s === 'flash_start') out.splice(out.lastIndexOf('flash_end'), 1);
      else out.push(s);
      continue;
    }
    out.push(s);
  }
  return out;
}

describe('CI test runs', () => {
  const all = runs(testrunScenario({ failureRate: 0.1, flashRetry: 0.3 }), 2000, 1);
  const ok = all.filter((r) => r.outcome === 'completed');
  const failed = all.filter((r) => r.outcome === 'failed');

  test('completed runs emit the events in order, repeated flash pairs in between', () => {
    assert.ok(ok.length > 1500);
    for (const run of ok) {
      const seq = names(run);
      assert.deepEqual(collapseFlash(seq), ORDER, seq.join(','));
      const t = emits(run);
      for (let i = 1; i < t.length; i++) assert.ok((t[i] as number) >= (t[i - 1] as number), seq.join(','));
      for (const n of run.notifications) {
        assert.equal(parseMicros(n.notification['timestamp'] as string), n.at);
        assert.ok(n.received !== undefined && n.received >= n.at && n.received - n.at <= 60_000_000);
      }
      assert.equal(run.kind, 'testrun');
      assert.equal(run.group_by, 'testrun_id');
      assert.equal(run.start, run.notifications[0]?.at);
      assert.equal(run.end, run.notifications.at(-1)?.at);
    }
  });

  test('every notification carries the run metadata', () => {
    for (const run of all.slice(0, 200)) {
      const first = payload(run, 0);
      for (let i = 0; i < run.notifications.length; i++) {
        const n = run.notifications[i]?.notification as Record<string, unknown>;
        const p = payload(run, i);
        assert.equal(p['testrun_id'], run.id);
        assert.match(
          n['message_id'] as string,
          /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
        );
        assert.match(p['requestor'] as string, /^[^@\s]+@[^@\s]+\.[a-z]+$/);
        assert.equal(n['_context_request_id'], p['request_id']);
        const hw = p['host_worker_instances'] as [string, number][];
        assert.ok(Array.isArray(hw) && hw.length >= 1);
        for (const [h, w] of hw) assert.ok(typeof h === 'string' && Number.isInteger(w));
        assert.equal(n['publisher_id'], `ci.${hw[0]?.[0]}`);
        for (const k of ['device_group', 'queue', 'configuration', 'request_id'])
          assert.equal(p[k], first[k]);
        assert.equal(p[`device_group`], run.attributes?.['device_group']);
      }
      if (run.outcome === 'completed')
        assert.ok(run.notifications.every((_, i) => !('error' in payload(run, i))));
    }
  });

  test('phases in the truth are the differences of the emitted timestamps', () => {
    for (const run of all) {
      const seq = names(run);
      const t = emits(run);
      const firstOf = (e: string): number | undefined => (seq.includes(e) ? t[seq.indexOf(e)] : undefined);
      const lastOf = (e: string): number | undefined => (seq.includes(e) ? t[seq.lastIndexOf(e)] : undefined);
      const expected: Record<string, number> = {};
      const pairs: [string, string, string][] = [
        ['initialisation', 'request', 'queue_start'],
        ['queue', 'queue_start', 'queue_end'],
        ['flash', 'flash_start', 'flash_end'],
        ['boot', 'boot_start', 'boot_end'],
        ['test', 'test_start', 'test_end'],
        ['publish', 'test_end', 'publish'],
      ];
      for (const [phase, a, b] of pairs) {
        const x = firstOf(a);
        const y = lastOf(b);
        if (x !== undefined && y !== undefined) expected[phase] = y - x;
      }
      assert.deepEqual(Object.keys(run.phases ?? {}).sort(), Object.keys(expected).sort());
      for (const [phase, v] of Object.entries(expected)) {
        assert.ok(
          Math.abs((run.phases?.[phase] ?? NaN) - v) < 1e-6,
          `${phase}: ${run.phases?.[phase]} vs ${v}`,
        );
      }
    }
  });

  test('default durations stay within the seed bounds, with sub-second resolution', () => {
    const plain = runs(testrunScenario({ failureRate: 0, flashRetry: 0 }), 1500, 2);
    const bounds: Record<string, [number, number]> = {
      initialisation: [60, 120],
      queue: [60, 300],
      flash: [600, 1200],
      boot: [300, 600],
      test: [1200, 2400],
      publish: [300, 300],
    };
    const seen: Record<string, number[]> = {};
    for (const run of plain) {
      for (const [phase, [lo, hi]] of Object.entries(bounds)) {
        const v = run.phases?.[phase];
        assert.ok(v !== undefined && v >= lo && v <= hi, `${phase} = ${v}`);
        (seen[phase] ??= []).push(v);
      }
    }
    // Spread over the range, not stuck at one value, and not whole minutes.
    for (const phase of ['queue', 'flash', 'boot', 'test']) {
      const vs = seen[phase] as number[];
      const [lo, hi] = bounds[phase] as [number, number];
      assert.ok(Math.min(...vs) < lo + (hi - lo) * 0.1 && Math.max(...vs) > hi - (hi - lo) * 0.1, phase);
      assert.ok(
        vs.some((v) => !Number.isInteger(v)),
        phase,
      );
    }
  });

  test('configured bounds are respected', () => {
    const opts: TestrunScenarioOptions = {
      queue: [2, 3],
      flash: [1, 1.5],
      boot: [0.5, 0.5],
      test: [3, 4],
      publish: [1, 2],
    };
    for (const run of runs(testrunScenario({ ...opts, failureRate: 0, flashRetry: 0 }), 300, 3)) {
      const p = run.phases ?? {};
      assert.ok((p['queue'] as number) >= 120 && (p['queue'] as number) <= 180);
      assert.ok((p['flash'] as number) >= 60 && (p['flash'] as number) <= 90);
      assert.equal(p['boot'], 30);
      assert.ok((p['test'] as number) >= 180 && (p['test'] as number) <= 240);
      assert.ok((p['publish'] as number) >= 60 && (p['publish'] as number) <= 120);
    }
  });

  test('flash retries: several flash pairs, counted in the attributes; the flash phase spans them all', () => {
    const retried = all.filter((r) => names(r).filter((n) => n === 'flash_start').length > 1);
    assert.ok(retried.length > 300, `${retried.length} runs retried`);
    for (const run of all) {
      const seq = names(run);
      const starts = seq.filter((n) => n === 'flash_start').length;
      assert.equal(seq.filter((n) => n === 'flash_end').length, starts);
      assert.ok(starts >= 1 && starts <= 4);
      assert.equal(run.attributes?.['flash_iterations'], String(starts));
    }
    const run = retried.find((r) => r.outcome === 'completed') as PlannedOperation;
    const seq = names(run);
    const t = emits(run);
    assert.ok(
      Math.abs(
        (run.phases?.['flash'] as number) -
          ((t[seq.lastIndexOf('flash_end')] as number) - (t[seq.indexOf('flash_start')] as number)),
      ) < 1e-6,
    );
  });

  test('failed runs stop at the failing phase, carry the error from there on, and publish', () => {
    assert.ok(failed.length > 100, `${failed.length} failed`);
    const phasesSeen = new Set<string>();
    for (const run of failed) {
      const seq = names(run);
      const phase = run.attributes?.['failed_phase'] as string;
      phasesSeen.add(phase);
      const cut = ORDER.indexOf(`${phase}_end`);
      assert.deepEqual(collapseFlash(seq), [...ORDER.slice(0, cut + 1), 'publish'], seq.join(','));
      const failEnd = seq.lastIndexOf(`${phase}_end`);
      for (let i = 0; i < seq.length; i++) {
        const err = payload(run, i)['error'];
        if (i >= failEnd) {
          assert.ok(typeof err === 'string' && err.length > 0);
          assert.equal(run.notifications[i]?.notification['priority'], 'ERROR');
        } else assert.equal(err, undefined);
      }
      assert.equal(run.end, run.notifications.at(-1)?.at);
      // Phases after the failure are absent; publish only when test_end exists.
      assert.equal('publish' in (run.phases ?? {}), phase === 'test');
      assert.equal('boot' in (run.phases ?? {}), phase !== 'flash');
    }
    assert.deepEqual([...phasesSeen].sort(), ['boot', 'flash', 'test']);
  });

  test('receive times: some immediate, most within seconds, a few up to a minute', () => {
    const delays = all.flatMap((r) => r.notifications.map((n) => (n.received as number) - n.at));
    const zero = delays.filter((d) => d === 0).length / delays.length;
    assert.ok(zero > 0.3 && zero < 0.5, `immediate ${zero}`);
    assert.ok(delays.some((d) => d > 10_000_000));
    assert.ok(Math.max(...delays) <= 60_000_000);
  });

  test('same seed, same runs; another seed, other runs', () => {
    const a = JSON.stringify(runs(testrunScenario(), 50, 9));
    assert.equal(JSON.stringify(runs(testrunScenario(), 50, 9)), a);
    assert.notEqual(JSON.stringify(runs(testrunScenario(), 50, 10)), a);
  });

  test('bad options are reported together', () => {
    assert.throws(
      () => testrunScenario({ flash: [20, 10], failureRate: 2, queues: [], maxFlashIterations: 0 }),
      (e: unknown) => {
        assert.ok(e instanceof ConfigError);
        assert.deepEqual(e.problems.map((p) => p.path).sort(), [
          'failureRate',
          'flash',
          'maxFlashIterations',
          'queues',
        ]);
        return true;
      },
    );
  });
});

describe('definitions/testruns.yaml', () => {
  /** A minimal resolver for the paths the file uses: dotted keys and [n] indexes. */
  function resolve(obj: unknown, path: string): unknown {
    let cur = obj;
    for (const m of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) {
      if (cur === null || typeof cur !== 'object') return undefined;
      cur =
        m[2] !== undefined
          ? (cur as unknown[])[Number(m[2])]
          : (cur as Record<string, unknown>)[m[1] as string];
    }
    return cur;
  }

  test('distils every testrun notification into the run traits', () => {
    const defs = parse(readFileSync(join(REPO_ROOT, 'definitions', 'testruns.yaml'), 'utf8')) as {
      event_type: string | string[];
      traits: Record<string, { fields: string | string[]; type?: string }>;
    }[];
    assert.ok(Array.isArray(defs) && defs.length >= 1);
    const def = defs.find((d) => d.event_type === 'testrun.*');
    assert.ok(def !== undefined);
    const wanted = [
      'testrun_id',
      'device_group',
      'queue',
      'configuration',
      'requestor',
      'request_id',
      'error',
      'host',
      'worker',
    ];
    assert.deepEqual(Object.keys(def.traits).sort(), [...wanted].sort());
    assert.equal(def.traits['worker']?.type, 'int');
    const run = runs(testrunScenario({ failureRate: 1 }), 1, 4)[0] as PlannedOperation;
    const n = run.notifications.at(-1)?.notification as Record<string, unknown>;
    const p = n['payload'] as Record<string, unknown>;
    const value = (trait: string): unknown => {
      const f = def.traits[trait]?.fields;
      for (const path of Array.isArray(f) ? f : [f as string]) {
        const v = resolve(n, path);
        if (v !== undefined && v !== null) return v;
      }
      return undefined;
    };
    const hw = p['host_worker_instances'] as [string, number][];
    assert.equal(value('testrun_id'), run.id);
    assert.equal(value('host'), hw[0]?.[0]);
    assert.equal(value('worker'), hw[0]?.[1]);
    assert.equal(value('error'), p['error']);
    assert.equal(value('request_id'), p['request_id']);
    for (const k of ['device_group', 'queue', 'configuration', 'requestor']) assert.equal(value(k), p[k]);
  });
});
