import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadPhaseSets } from '../../src/analysis/phase-definitions.js';
import type { PhaseReportRow } from '../../src/analysis/phase-report.js';
import { BUNDLED_CONFIG_FILES } from '../../src/config/waymark-config.js';
import { Instant } from '../../src/model/instant.js';
import { FakeBackend } from './fake-backend.js';
import { startServer, type ErrorReply } from './harness.js';

/** Three test runs of two queues; run r{i} waits i minutes in the queue. */
function backend(): FakeBackend {
  const b = new FakeBackend();
  b.phaseSetList = loadPhaseSets(BUNDLED_CONFIG_FILES.phases);
  const t0 = Instant.parse('2026-01-01T00:00:00Z').us;
  let n = 0;
  for (let i = 1; i <= 3; i++) {
    const at = t0 + i * 3600e6;
    const traits = {
      testrun_id: `r${i}`,
      queue: i === 2 ? 'nightly' : 'presubmit',
      device_group: '<script>x</script>',
    };
    for (const [type, s] of [
      ['testrun.request', 0],
      ['testrun.queue_start', 60],
      ['testrun.queue_end', 60 + i * 60],
    ] as const) {
      b.addEvent({
        message_id: `m${++n}`,
        event_type: type,
        timestamp: new Instant(at + s * 1e6).toISOString(),
        received: new Instant(at + s * 1e6 + 2e6).toISOString(),
        traits,
      });
    }
  }
  return b;
}

async function lines(res: Response): Promise<unknown[]> {
  return (await res.text())
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as unknown);
}

test('GET /v1/phases lists the phase sets with their phases', async () => {
  const h = await startServer({ backend: backend() });
  const r = await h.json<{
    phase_sets: { name: string; group_by: string; phases: { name: string; start: string; end: string }[] }[];
  }>('/v1/phases');
  assert.equal(r.status, 200);
  const [testrun] = r.body.phase_sets;
  assert.equal(testrun?.name, 'testrun');
  assert.equal(testrun?.group_by, 'testrun_id');
  assert.deepEqual(testrun?.phases[0], {
    ...testrun?.phases[0],
    name: 'initialisation',
    start: 'testrun.request',
    end: 'testrun.queue_start',
  });
  assert.equal((await h.json('/v1/phases?x=1')).status, 400);
});

test('GET /v1/reports/phases: NDJSON lines in phase order (groups sorted), then {"done": true, "runs": N}', async () => {
  const h = await startServer({ backend: backend() });
  const res = await h.fetch(
    '/v1/reports/phases?set=testrun&group_by=queue&histogram=2&traits.queue=ne:release',
  );
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^application\/x-ndjson/);
  const got = (await lines(res)) as (PhaseReportRow & { done?: boolean; runs?: number })[];
  assert.deepEqual(got.at(-1), { done: true, runs: 3 });
  const queue = got.filter((l) => l.phase === 'queue');
  assert.deepEqual(
    queue.map((l) => [l.group, l.count, l.min, l.max, l.histogram]),
    [
      [{ queue: 'nightly' }, 1, 120, 120, { min: 120, width: 0, counts: [1] }],
      [{ queue: 'presubmit' }, 2, 60, 180, { min: 60, width: 60, counts: [1, 1] }],
    ],
  );
  assert.deepEqual(
    got.slice(0, -1).map((l) => l.phase),
    [
      'initialisation',
      'initialisation',
      'queue',
      'queue',
      'flash',
      'flash',
      'boot',
      'boot',
      'test',
      'test',
      'publish',
      'publish',
    ],
  );
  const receive = (await lines(
    await h.fetch('/v1/reports/phases?set=testrun&time=receive&from=2026-01-01T02:00:00Z&histogram=0'),
  )) as PhaseReportRow[];
  assert.equal(receive[1]?.count, 2, 'runs r2 and r3 were received from 02:00 on');
  assert.equal(receive[1]?.histogram, undefined);
});

test('GET /v1/reports/phases: bad parameters are a 400 before any line', async () => {
  const h = await startServer({ backend: backend() });
  const cases: [string, RegExp][] = [
    ['', /missing query parameter "set": expected a phase set name \(testrun, openstack_build\)/],
    ['set=nope', /no phase set "nope"; known: testrun, openstack_build/],
    ['set=testrun&group_by=host,zz', /group_by "zz": phase set "testrun" keeps no such run trait/],
    ['set=testrun&traits.zz=1', /trait filter "zz"/],
    ['set=testrun&time=now', /"time": expected "emit" or "receive"/],
    ['set=testrun&histogram=-1', /"histogram": expected an integer 0\.\.1000/],
    ['set=testrun&from=yesterday', /"from": expected a timestamp/],
    ['set=testrun&from=2026-01-02&to=2026-01-01', /"to" .* is before "from"/],
    ['set=testrun&traits.queue=gte:1', /unknown operator "gte"/],
    ['set=testrun&group=queue', /unknown query parameter "group"/],
    ['set=testrun&set=testrun', /given 2 times/],
  ];
  for (const [q, re] of cases) {
    const r = await h.json<ErrorReply>(`/v1/reports/phases?${q}`);
    assert.equal(r.status, 400, q);
    assert.match(r.body.error.message, re, q);
  }
});

test('GET /v1/reports/phases: a failure after the first line ends the stream with an error line', async () => {
  const b = backend();
  b.phaseReport = async function* () {
    yield await Promise.resolve([
      {
        phase: 'a',
        group: {},
        count: 0,
        min: null,
        max: null,
        mean: null,
        stddev: null,
        p50: null,
        p90: null,
        p99: null,
      },
    ]);
    throw new Error('disk on fire');
  };
  const h = await startServer({ backend: b });
  const res = await h.fetch('/v1/reports/phases?set=testrun');
  assert.equal(res.status, 200);
  const got = await lines(res);
  assert.equal(got.length, 2);
  assert.deepEqual(Object.keys(got[1] as object), ['error']);
  assert.match((got[1] as { error: string }).error, /internal error/);
});

test('GET /v1/reports/runs: runs by start with traits and phases (percentiles); paging, id; bad parameters 400', async () => {
  const h = await startServer({ backend: backend() });
  const r = await h.json<{
    set: string;
    total: number;
    runs: {
      id: string;
      start: string;
      end: string | null;
      traits: Record<string, unknown>;
      phases: { phase: string; duration_s: number; percentile: number }[];
    }[];
  }>('/v1/reports/runs?set=testrun&limit=2&offset=1');
  assert.equal(r.status, 200);
  assert.equal(r.body.total, 3);
  assert.deepEqual(
    r.body.runs.map((x) => x.id),
    ['r2', 'r3'],
  );
  const r2 = r.body.runs[0];
  assert.equal(r2?.start, '2026-01-01T02:00:00.000000Z');
  assert.equal(r2?.end, '2026-01-01T02:03:00.000000Z');
  assert.deepEqual(r2?.traits, { device_group: '<script>x</script>', queue: 'nightly' });
  assert.deepEqual(
    r2?.phases.map((p) => [p.phase, p.duration_s, p.percentile]),
    [
      ['initialisation', 60, 50],
      ['queue', 120, 50],
    ],
  );
  const one = await h.json<{ total: number; runs: { id: string }[] }>(
    '/v1/reports/runs?set=testrun&id=r3&traits.queue=presubmit',
  );
  assert.deepEqual([one.body.total, one.body.runs[0]?.id], [1, 'r3']);
  for (const q of [
    'set=testrun&limit=0',
    'set=testrun&offset=-1',
    'set=testrun&id=',
    'limit=5',
    'set=testrun&traits.nope=1',
  ]) {
    assert.equal((await h.json(`/v1/reports/runs?${q}`)).status, 400, q);
  }
});

test('GET /v1/reports/events: per event type counts and delays, then {"done": true}', async () => {
  const h = await startServer({ backend: backend() });
  const got = (await lines(await h.fetch('/v1/reports/events?group_by=queue&traits.queue=nightly'))) as {
    event_type?: string;
    group?: object;
    count?: number;
    delay?: { min: number };
    done?: boolean;
  }[];
  assert.deepEqual(
    got.map((l) => (l.done === true ? 'done' : [l.event_type, l.group, l.count, l.delay?.min])),
    [
      ['testrun.queue_end', { queue: 'nightly' }, 1, 2],
      ['testrun.queue_start', { queue: 'nightly' }, 1, 2],
      ['testrun.request', { queue: 'nightly' }, 1, 2],
      'done',
    ],
  );
  assert.equal((await h.json('/v1/reports/events?time=x')).status, 400);
});
