import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Engine, type PipelineExecutor, type PipelineRunOutcome } from '../../src/engine/engine.js';
import { eventClock, wallClock } from '../../src/engine/clock.js';
import { explainEvent } from '../../src/engine/explain.js';
import { parseTriggerDefinitions } from '../../src/engine/trigger-definitions.js';
import type { PipelineDefinition, StreamRef } from '../../src/pipeline/handler.js';
import { MemoryStore } from '../../src/store/memory/memory-store.js';
import type { Store } from '../../src/store/store.js';
import type { WaymarkEvent } from '../../src/model/event.js';
import { Instant } from '../../src/model/instant.js';

const TRIGGERS = `
- name: build_time
  distinguished_by: [instance_id]
  expiration: "$first + 4h"
  match_criteria:
    - event_type: compute.instance.create.*
  fire_criteria:
    - event_type: compute.instance.create.start
    - event_type: compute.instance.create.end
  fire_pipeline: build_time
  expire_pipeline: build_failed
- name: audit
  distinguished_by:
    - instance_id
    - timestamp: day
  expiration: "$last + 2d"
  match_criteria:
    - event_type: [compute.instance.*, "!compute.instance.exists*"]
    - event_type: compute.instance.exists
      map_distinguished_by:
        timestamp: audit_period_beginning
  fire_criteria:
    - event_type: compute.instance.exists
  fire_pipeline: audit
- name: verified
  distinguished_by: [instance_id]
  expiration: "$last + 1h"
  match_criteria:
    - event_type: compute.instance.exists.verified
  fire_criteria:
    - event_type: compute.instance.exists.verified
  fire_pipeline: noop
`;

async function openMemory(): Promise<MemoryStore> {
  const store = new MemoryStore();
  await store.open();
  return store;
}

const T0 = Instant.parse('2026-01-01T00:00:00Z').us;
let seq = 0;
function ev(
  type: string,
  instance: string,
  secondsAfter: number,
  traits: Record<string, unknown> = {},
): WaymarkEvent {
  const timestamp = new Instant(T0 + Math.round(secondsAfter * 1e6));
  return {
    message_id: `m-${++seq}`,
    event_type: type,
    timestamp,
    received: timestamp,
    traits: { instance_id: instance, ...(traits as Record<string, string>) },
  };
}

interface Run {
  stream: StreamRef;
  events: readonly WaymarkEvent[];
}

function pipelines(...names: string[]): Map<string, PipelineDefinition> {
  return new Map(names.map((name) => [name, { name, handlers: [], source: { file: 'test' } }]));
}

async function harness(options: {
  store?: Store;
  clock?: ReturnType<typeof eventClock>;
  outcome?: (run: Run) => PipelineRunOutcome;
  retry?: { maxAttempts: number; backoffSeconds: number };
  dedupeWindowSeconds?: number;
}) {
  const runs: Run[] = [];
  const store = options.store ?? (await openMemory());
  const executePipeline: PipelineExecutor = (_def, events, stream) => {
    const run = { stream, events };
    runs.push(run);
    return Promise.resolve(options.outcome?.(run) ?? { status: 'committed', samples: [], emitted: [] });
  };
  const { triggers } = parseTriggerDefinitions('triggers.yaml', TRIGGERS);
  const engine = new Engine({
    store,
    triggers,
    pipelines: pipelines('build_time', 'build_failed', 'audit', 'noop'),
    executePipeline,
    clock: options.clock ?? eventClock(60),
    ...(options.retry ? { retry: options.retry } : {}),
    ...(options.dedupeWindowSeconds ? { dedupeWindowSeconds: options.dedupeWindowSeconds } : {}),
  });
  return { engine, store, runs };
}

test('a build fires once both ends arrived, in either order, with events sorted by timestamp', async () => {
  for (const order of ['in order', 'reversed'] as const) {
    const { engine, store, runs } = await harness({});
    await engine.start();
    const start = ev('compute.instance.create.start', 'i-1', 0);
    const end = ev('compute.instance.create.end', 'i-1', 52.5);
    const r = await engine.ingest(order === 'in order' ? [start, end] : [end, start]);
    assert.deepEqual(r, { accepted: 2, duplicates: 0 });
    await engine.idle();
    const fired = runs.filter((x) => x.stream.trigger === 'build_time');
    assert.equal(fired.length, 1, order);
    assert.equal(fired[0]?.stream.kind, 'fire');
    assert.deepEqual(
      fired[0]?.events.map((e) => e.message_id),
      [start.message_id, end.message_id],
    );
    const page = await store.queryStreams({ trigger: 'build_time' });
    assert.equal(page.items.length, 1);
    assert.equal(page.items[0]?.state, 'completed');
    assert.equal(page.items[0]?.outcome, 'fired');
    assert.equal(page.items[0]?.eventCount, 2);
    await engine.close();
  }
});

test('duplicates are dropped by message_id, in one call and across calls', async () => {
  const { engine, store } = await harness({});
  await engine.start();
  const a = ev('compute.instance.create.start', 'i-2', 0);
  assert.deepEqual(await engine.ingest([a, a]), { accepted: 1, duplicates: 1 });
  assert.deepEqual(await engine.ingest([a]), { accepted: 0, duplicates: 1 });
  assert.equal(await store.countEvents({}), 1);
  await engine.close();
});

test('a duplicate older than the in-memory window is found in the store', async () => {
  const { engine, store } = await harness({ dedupeWindowSeconds: 60 });
  await engine.start();
  const old = ev('compute.instance.create.start', 'i-3', 0);
  await engine.ingest([old, ev('compute.instance.update', 'i-x', 3600)]);
  assert.deepEqual(await engine.ingest([old]), { accepted: 0, duplicates: 1 });
  assert.equal(await store.countEvents({}), 2);
  await engine.close();
});

test('the event clock expires a stream once later events move time past its expiration', async () => {
  const { engine, store, runs } = await harness({});
  await engine.start();
  await engine.ingest([ev('compute.instance.create.start', 'i-4', 0)]);
  await engine.idle();
  assert.equal(runs.length, 0, 'nothing due yet');
  // 4 h later plus lateness (60 s) plus a bit: the first stream expires.
  await engine.ingest([ev('compute.instance.create.start', 'i-5', 4 * 3600 + 61)]);
  await engine.idle();
  assert.deepEqual(
    runs.map((r) => [r.stream.kind, r.stream.pipeline]),
    [['expire', 'build_failed']],
  );
  const [s] = (await store.queryStreams({ trigger: 'build_time', states: ['completed'] })).items;
  assert.equal(s?.outcome, 'expired');
  assert.equal(s?.distinguishedBy['instance_id'], 'i-4');
  await engine.close();
});

test('after a stream fired, the same distinguishing values start a new stream', async () => {
  const { engine, store } = await harness({});
  await engine.start();
  await engine.ingest([
    ev('compute.instance.create.start', 'i-6', 0),
    ev('compute.instance.create.end', 'i-6', 10),
  ]);
  await engine.idle();
  await engine.ingest([ev('compute.instance.create.start', 'i-6', 100)]);
  await engine.idle();
  const all = (await store.queryStreams({ trigger: 'build_time' })).items;
  assert.deepEqual(
    all.map((s) => s.state),
    ['completed', 'active'],
  );
  await engine.close();
});

test('fire_delay on the wall clock: ready first, fired once the delay passed', async () => {
  let now = Instant.parse('2026-01-01T00:00:00Z');
  const { triggers } = parseTriggerDefinitions(
    't.yaml',
    TRIGGERS.replace('fire_pipeline: build_time', 'fire_pipeline: build_time\n  fire_delay: 30'),
  );
  const store = await openMemory();
  const runs: StreamRef[] = [];
  const engine = new Engine({
    store,
    triggers,
    pipelines: pipelines('build_time', 'build_failed', 'audit', 'noop'),
    clock: wallClock(() => now),
    executePipeline: (_d, _e, stream) => {
      runs.push(stream);
      return Promise.resolve({ status: 'committed', samples: [], emitted: [] });
    },
  });
  await engine.start();
  await engine.ingest([
    ev('compute.instance.create.start', 'i-7', 0),
    ev('compute.instance.create.end', 'i-7', 5),
  ]);
  await engine.idle();
  assert.equal((await store.queryStreams({ states: ['ready'] })).items.length, 1);
  assert.equal(runs.length, 0);
  // A late event still joins while the stream waits.
  await engine.ingest([ev('compute.instance.create.end', 'i-7', 6)]);
  now = new Instant(now.us + 31e6);
  await engine.advanceClock(now); // no-op for a wall clock, but runs what is due
  await engine.idle();
  assert.equal(runs.length, 1);
  const [s] = (await store.queryStreams({ trigger: 'build_time' })).items;
  assert.equal(s?.eventCount, 3);
  assert.equal(s?.outcome, 'fired');
  await engine.close();
});

test('a failing pipeline is retried with backoff, and given up after max attempts', async () => {
  const { engine, store, runs } = await harness({
    retry: { maxAttempts: 3, backoffSeconds: 10 },
    outcome: () => ({ status: 'error', error: 'boom' }),
  });
  await engine.start();
  await engine.ingest([
    ev('compute.instance.create.start', 'i-8', 0),
    ev('compute.instance.create.end', 'i-8', 1),
  ]);
  await engine.idle();
  assert.equal(runs.length, 1);
  let [s] = (await store.queryStreams({ trigger: 'build_time' })).items;
  assert.equal(s?.state, 'error');
  assert.equal(s?.lastError, 'boom');
  const firstRetry = s?.retryAt?.us ?? 0;
  // Backoff 10 s after the first failure, 20 s after the second.
  await engine.advanceClock(new Instant(firstRetry));
  assert.equal(runs.length, 2);
  [s] = (await store.queryStreams({ trigger: 'build_time' })).items;
  assert.equal((s?.retryAt?.us ?? 0) - firstRetry, 20e6);
  await engine.advanceClock(new Instant(s?.retryAt?.us ?? 0));
  assert.equal(runs.length, 3);
  assert.deepEqual(
    runs.map((r) => r.stream.attempt),
    [1, 2, 3],
  );
  [s] = (await store.queryStreams({ trigger: 'build_time' })).items;
  assert.equal(s?.state, 'error');
  assert.equal(s?.retryAt, null, 'gave up');
  await engine.advanceClock(Instant.parse('2030-01-01T00:00:00Z'));
  assert.equal(runs.length, 3);
  const outcomes = await store.pipelineOutcomes({ streamId: s?.id ?? 0 });
  assert.equal(outcomes.length, 3);
  assert.ok(outcomes.every((o) => o.status === 'error'));
  await engine.close();
});

test('events a pipeline emits are fed back into the engine, and meter samples are committed', async () => {
  const { engine, store, runs } = await harness({
    outcome: (run) =>
      run.stream.trigger === 'audit'
        ? {
            status: 'committed',
            samples: [{ meter: 'audits', kind: 'count', value: 1 }],
            emitted: [ev('compute.instance.exists.verified', 'i-9', 86_400)],
          }
        : { status: 'committed', samples: [], emitted: [] },
  });
  await engine.start();
  await engine.ingest([
    ev('compute.instance.create.start', 'i-9', 10),
    ev('compute.instance.exists', 'i-9', 86_400 + 30, {
      audit_period_beginning: new Instant(T0) as unknown as string,
    }),
  ]);
  await engine.idle();
  await engine.ingest([ev('compute.instance.update', 'other', 86_400 + 4000)]);
  await engine.idle();
  const triggers = runs
    .filter((r) => r.stream.kind === 'fire')
    .map((r) => r.stream.trigger)
    .sort();
  assert.deepEqual(triggers, ['audit', 'verified']);
  const audit = runs.find((r) => r.stream.trigger === 'audit');
  // The .exists joined the stream of the day of its audit_period_beginning, with the create.start.
  assert.deepEqual(
    audit?.events.map((e) => e.event_type),
    ['compute.instance.create.start', 'compute.instance.exists'],
  );
  const samples = await store.meterSamples('audits');
  assert.equal(samples.length, 1);
  assert.equal(samples[0]?.streamId, audit?.stream.id);
  await engine.close();
});

test('a restarted engine resumes open streams and re-runs an interrupted pipeline', async () => {
  const store = await openMemory();
  let release: (() => void) | undefined;
  const first = await harness({ store });
  await first.engine.start();
  await first.engine.ingest([ev('compute.instance.create.start', 'i-10', 0)]);
  await first.engine.idle();
  await first.engine.close();

  // Second life: the end arrives, the pipeline starts and the process "dies" before it commits.
  const blocked = new Engine({
    store,
    triggers: parseTriggerDefinitions('t.yaml', TRIGGERS).triggers,
    pipelines: pipelines('build_time', 'build_failed', 'audit', 'noop'),
    clock: eventClock(60),
    executePipeline: () =>
      new Promise<PipelineRunOutcome>((resolve) => {
        release = () => resolve({ status: 'committed', samples: [], emitted: [] });
      }),
  });
  await blocked.start();
  await blocked.ingest([ev('compute.instance.create.end', 'i-10', 40)]);
  while (release === undefined) await new Promise((r) => setTimeout(r, 1));
  assert.equal((await store.queryStreams({ states: ['firing'] })).items.length, 1);
  await blocked.close();
  release();

  const third = await harness({ store });
  await third.engine.start();
  await third.engine.idle();
  assert.equal(third.runs.length, 1, 'the interrupted run is re-run');
  assert.deepEqual(
    third.runs[0]?.events.map((e) => e.event_type),
    ['compute.instance.create.start', 'compute.instance.create.end'],
  );
  const [s] = (await store.queryStreams({ trigger: 'build_time' })).items;
  assert.equal(s?.outcome, 'fired');
  await third.engine.close();
});

test('delete and reset of streams', async () => {
  const { engine, store, runs } = await harness({});
  await engine.start();
  await engine.ingest([
    ev('compute.instance.create.start', 'i-11', 0),
    ev('compute.instance.create.end', 'i-11', 3),
  ]);
  await engine.idle();
  const [fired] = (await store.queryStreams({ trigger: 'build_time' })).items;
  assert.ok(fired);
  assert.equal(await engine.resetStream(fired.id), true);
  await engine.idle();
  assert.equal(
    runs.filter((r) => r.stream.id === fired.id).length,
    2,
    'a reset stream whose criteria hold fires again',
  );
  assert.equal(await engine.deleteStream(fired.id), true);
  assert.equal(await store.getStream(fired.id), undefined);
  assert.equal(await engine.deleteStream(fired.id), false);
  assert.equal(await engine.resetStream(9999), false);
  assert.equal(await store.countEvents({}), 2, 'deleting a stream keeps its events');
  await engine.close();
});

test('explain names the first failing condition per trigger', () => {
  const { triggers } = parseTriggerDefinitions('t.yaml', TRIGGERS);
  const e = ev('compute.instance.update', 'i-12', 0);
  const out = explainEvent(triggers, e);
  const build = out.find((x) => x.trigger === 'build_time');
  assert.equal(build?.matched, false);
  assert.match(build?.reason ?? '', /compute\.instance\.update/);
  const audit = out.find((x) => x.trigger === 'audit');
  assert.equal(audit?.matched, true);
  assert.equal((audit?.distinguished_by as Record<string, unknown>)['instance_id'], 'i-12');
});

test('an event later than a stream’s expiration does not join it, even while lateness holds the clock back', async () => {
  const { engine, store, runs } = await harness({ clock: eventClock(6 * 3600) });
  await engine.start();
  await engine.ingest([ev('compute.instance.create.start', 'i-13', 0)]);
  await engine.ingest([ev('compute.instance.create.end', 'i-13', 5 * 3600)]);
  await engine.idle();
  assert.deepEqual(
    runs.map((r) => [r.stream.kind, r.events.length]),
    [['expire', 1]],
  );
  const streams = (await store.queryStreams({ trigger: 'build_time' })).items;
  assert.deepEqual(
    streams.map((s) => [s.outcome, s.eventCount]),
    [
      ['expired', 1],
      [null, 1],
    ],
  );
  await engine.close();
});

test('a pure pipeline (meters, counts, logs) runs inside the commit that fires its stream; others commit twice', async () => {
  const spec = (pure: boolean): PipelineDefinition['handlers'][number]['spec'] => ({
    name: pure ? 'pure-test' : 'io-test',
    ...(pure ? { pure: true } : {}),
    validate: () => [],
    create: () => {
      throw new Error('not used: the test executes pipelines itself');
    },
  });
  for (const pure of [true, false]) {
    const inner = await openMemory();
    const commits: { events: number; states: string[]; outcomes: number }[] = [];
    const store = new Proxy(inner, {
      get(target, prop, receiver): unknown {
        if (prop === 'commit')
          return async (batch: Parameters<Store['commit']>[0]) => {
            await target.commit(batch);
            commits.push({
              events: batch.events.length,
              states: batch.streams.filter((s) => s.trigger === 'build_time').map((s) => s.state),
              outcomes: batch.outcomes.length,
            });
          };
        const v: unknown = Reflect.get(target, prop, receiver);
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    const defs = pipelines('build_failed', 'audit', 'noop');
    defs.set('build_time', {
      name: 'build_time',
      handlers: [{ spec: spec(pure), params: {} }],
      source: { file: 'test' },
    });
    let fail = true;
    const { triggers } = parseTriggerDefinitions('triggers.yaml', TRIGGERS);
    const engine = new Engine({
      store,
      triggers,
      pipelines: defs,
      // The first run fails, the retry commits.
      executePipeline: () =>
        Promise.resolve(
          fail
            ? ((fail = false), { status: 'error' as const, error: 'boom' })
            : { status: 'committed' as const, samples: [], emitted: [] },
        ),
      clock: eventClock(0),
      retry: { maxAttempts: 3, backoffSeconds: 10 },
    });
    await engine.start();
    await engine.ingest([
      ev('compute.instance.create.start', 'i-p', 0),
      ev('compute.instance.create.end', 'i-p', 5),
    ]);
    await engine.idle();
    const firstStates = commits.map((c) => c.states).filter((s) => s.length > 0);
    if (pure) {
      assert.deepEqual(
        commits,
        [{ events: 2, states: ['error'], outcomes: 1 }],
        'fire and failed run in one commit',
      );
    } else {
      assert.deepEqual(firstStates, [['firing'], ['error']], 'fire, then the failed run, in two commits');
    }
    // The retry is due 10 s later (event time): one more event moves the clock.
    commits.length = 0;
    await engine.ingest([ev('compute.instance.update', 'i-other', 60)]);
    await engine.idle();
    const states = commits.flatMap((c) => c.states);
    assert.deepEqual(
      states,
      pure ? ['completed'] : ['firing', 'completed'],
      `retry (${pure ? 'pure' : 'io'})`,
    );
    const page = await inner.queryStreams({ trigger: 'build_time' });
    assert.deepEqual(
      page.items.map((s) => [s.state, s.outcome, s.attempts]),
      [['completed', 'fired', 2]],
    );
    await engine.close();
  }
});
