import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadPhaseSets } from '../../src/analysis/phase-definitions.js';
import type { PhaseReportRow } from '../../src/analysis/phase-report.js';
import { defaultWaymarkConfig, BUNDLED_CONFIG_FILES } from '../../src/config/waymark-config.js';
import { Instant } from '../../src/model/instant.js';
import { Runtime } from '../../src/runtime/runtime.js';
import { ANALYSIS_STORES, traffic } from './fixtures.js';

/** Replay lines through the engine with the bundled triggers (event clock); `finish`: move the clock past every expiry. */
async function replay(runtime: Runtime, lines: readonly string[], finish = true): Promise<void> {
  for (let i = 0; i < lines.length; i += 2000) {
    const items = lines.slice(i, i + 2000).map((l) => JSON.parse(l) as unknown);
    await runtime.ingestNotifications(items, 'test');
  }
  await runtime.engine.idle();
  if (!finish) return;
  // A week after the traffic (not year 9999: its microseconds are beyond 2^53, which the memory store refuses).
  await runtime.engine.advanceClock(Instant.parse('2026-03-10T00:00:00Z'));
  await runtime.engine.idle();
}

async function report(runtime: Runtime, set: string): Promise<PhaseReportRow[]> {
  const rows: PhaseReportRow[] = [];
  const it = runtime.phaseReport(set, { groupBy: [], time: 'emit', traits: [], histogram: 0 });
  for await (const lines of it) rows.push(...lines);
  return rows;
}

const METER_OF: Record<string, string> = {
  initialisation: 'testrun_initialisation_seconds',
  queue: 'testrun_queue_seconds',
  flash: 'testrun_flash_seconds',
  boot: 'testrun_boot_seconds',
  test: 'testrun_test_seconds',
  publish: 'testrun_publish_seconds',
};

for (const kind of ANALYSIS_STORES) {
  describe(`${kind.name}: phase reports agree with the meters and the generator's truth`, () => {
    test("test runs: every figure of the testrun_phases meters, exactly; each run's phases as the truth says", async () => {
      const { lines, truth } = traffic('testruns', 11, 8, 120);
      const store = await kind.open();
      const runtime = await Runtime.open({ config: defaultWaymarkConfig(), clock: 'event', store });
      try {
        // Half the events before the first report (the run table is built by a scan), half after (kept current by commits).
        await replay(runtime, lines.slice(0, Math.floor(lines.length / 2)), false);
        await report(runtime, 'testrun');
        await replay(runtime, lines.slice(Math.floor(lines.length / 2)));
        const rows = await report(runtime, 'testrun');
        assert.deepEqual(
          rows.map((r) => r.phase),
          ['initialisation', 'queue', 'flash', 'boot', 'test', 'publish'],
        );
        const meters = new Map(runtime.meters().map((m) => [m.name, m]));
        for (const r of rows) {
          const m = meters.get(METER_OF[r.phase] as string);
          assert.ok(m !== undefined && m.count > 100, `meter for ${r.phase}`);
          for (const k of ['count', 'min', 'max', 'mean', 'stddev', 'p50', 'p90', 'p99'] as const) {
            assert.equal(r[k], m[k], `${r.phase}.${k}`);
          }
        }
        // Per run: the truth's phases (seconds from emit times) are the run's complete phases.
        const page = await runtime.phaseRuns('testrun', {
          time: 'emit',
          traits: [],
          limit: 100_000,
          offset: 0,
        });
        assert.equal(page.total, truth.length);
        const byId = new Map(page.runs.map((r) => [r.id, r]));
        let checked = 0;
        for (const t of truth) {
          const run = byId.get(t.id);
          assert.ok(run !== undefined, `run ${t.id}`);
          const got = Object.fromEntries(run.phases.map((p) => [p.phase, p.duration_s]));
          assert.deepEqual(got, t.phases, `phases of ${t.id}`);
          assert.equal(
            run.traits['device_group'],
            (t['attributes'] as Record<string, string> | undefined)?.['device_group'] ?? t['device_group'],
          );
          checked++;
        }
        assert.equal(checked, truth.length);
      } finally {
        await runtime.close();
        await store.close();
      }
    });

    test('OpenStack builds: scheduling, networking, spawning and build per request id match the truth', async () => {
      const { lines, truth } = traffic('openstack', 3, 1, 1200);
      const store = await kind.open();
      const runtime = await Runtime.open({ config: defaultWaymarkConfig(), clock: 'event', store });
      try {
        await replay(runtime, lines);
        const page = await runtime.phaseRuns('openstack_build', {
          time: 'emit',
          traits: [],
          limit: 100_000,
          offset: 0,
        });
        const byRequest = new Map(page.runs.map((r) => [r.id, r]));
        const builds = truth.filter((t) => t.kind === 'compute.instance.create' && t.phases !== undefined);
        assert.ok(builds.length > 100, `${builds.length} builds`);
        for (const t of builds) {
          const run = byRequest.get(t['request_id'] as string);
          assert.ok(run !== undefined, `run ${String(t['request_id'])}`);
          const got = Object.fromEntries(
            run.phases.filter((p) => p.phase !== 'block_device_mapping').map((p) => [p.phase, p.duration_s]),
          );
          assert.deepEqual(got, t.phases, `phases of build ${t.id}`);
          const bdm = run.phases.find((p) => p.phase === 'block_device_mapping');
          if (t.phases?.['spawning'] !== undefined)
            assert.ok(bdm !== undefined && bdm.duration_s > 0, 'block device mapping');
        }
      } finally {
        await runtime.close();
        await store.close();
      }
    });
  });
}

test('the bundled phases files load', () => {
  const sets = loadPhaseSets(BUNDLED_CONFIG_FILES.phases);
  assert.deepEqual(
    sets.map((s) => [s.name, s.groupBy, s.phases.map((p) => p.name)]),
    [
      ['testrun', 'testrun_id', ['initialisation', 'queue', 'flash', 'boot', 'test', 'publish']],
      [
        'openstack_build',
        'request_id',
        ['scheduling', 'networking', 'block_device_mapping', 'spawning', 'build'],
      ],
    ],
  );
});
