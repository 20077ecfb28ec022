import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { US_PER_SECOND } from '../../src/model/instant.js';
import type { WaymarkEvent } from '../../src/model/event.js';
import { openStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/store.js';
import { runCli } from '../helpers/run-cli.js';
import { generatedTraffic, tempDir } from './serve-process.js';

const TRIGGERS = `- name: quick_build
  distinguished_by: [instance_id]
  expiration: '$first + 60s'
  match_criteria:
    - event_type: compute.instance.create.*
  fire_criteria:
    - event_type: compute.instance.create.start
    - event_type: compute.instance.create.end
  fire_pipeline: build_time
  expire_pipeline: build_failed
`;

interface BacktestReport {
  events: number;
  clock: string;
  triggers: { trigger: string; streams: number; fired: number; expired: number }[];
  meters: { name: string; count: number }[];
  pipeline_errors: number;
}

async function allEvents(store: Store): Promise<WaymarkEvent[]> {
  const out: WaymarkEvent[] = [];
  let marker: string | undefined;
  do {
    const page = await store.queryEvents({ limit: 5000, ...(marker ? { marker } : {}) });
    out.push(...page.items);
    marker = page.next;
  } while (marker !== undefined);
  return out;
}

async function footprint(
  url: string,
): Promise<{ streams: number; events: number; samples: number; dead: number }> {
  const store = await openStore(url);
  try {
    return {
      streams: await store.countStreams({}),
      events: await store.countEvents({}),
      samples: (await store.meterSamples()).length,
      dead: await store.countDeadLetters(),
    };
  } finally {
    await store.close();
  }
}

test('waymark backtest: fired/expired agree with an independent count from the stored events; the store is only read', async () => {
  const tmp = tempDir('backtest');
  const env = { MMSTATS_PATH: tmp.dir };
  try {
    const traffic = join(tmp.dir, 'traffic.jsonl');
    writeFileSync(traffic, generatedTraffic(21).lines.join('\n') + '\n');
    const ing = await runCli(['ingest', '--quiet', '--store', tmp.store, traffic], '', env);
    assert.equal(ing.code, 0, ing.stderr);
    const triggers = join(tmp.dir, 'quick.yaml');
    writeFileSync(triggers, TRIGGERS);

    const before = await footprint(tmp.store);
    assert.ok(before.streams > 0);

    const store = await openStore(tmp.store);
    let events: WaymarkEvent[];
    try {
      events = await allEvents(store);
    } finally {
      await store.close();
    }

    // Independently, replaying the stored events in timestamp order: a stream expires at its
    // expire_at ($first + 60s) — an event later than that does not join it, even while the
    // lateness holds the clock back — and fires once it holds a create.start and a create.end;
    // after either, the instance's next create.* event starts a new stream. At the end, backtest
    // moves the clock to the latest timestamp.
    const EXPIRY = 60 * US_PER_SECOND;
    const latest = Math.max(...events.map((e) => e.timestamp.us));
    const open = new Map<string, { expireAt: number; start: boolean; end: boolean }>();
    let streams = 0;
    let fired = 0;
    let expired = 0;
    for (const e of events) {
      if (!e.event_type.startsWith('compute.instance.create.')) continue;
      const id = String(e.traits['instance_id']);
      let s = open.get(id);
      if (s !== undefined && s.expireAt < e.timestamp.us) {
        expired++;
        s = undefined;
      }
      if (s === undefined) {
        s = { expireAt: e.timestamp.us + EXPIRY, start: false, end: false };
        open.set(id, s);
        streams++;
      }
      if (e.event_type === 'compute.instance.create.start') s.start = true;
      if (e.event_type === 'compute.instance.create.end') s.end = true;
      if (s.start && s.end) {
        fired++;
        open.delete(id);
      }
    }
    for (const s of open.values()) if (s.expireAt <= latest) expired++;
    assert.ok(
      fired > 10 && expired > 10,
      `a 60 s expiry should split the builds: ${fired} fired, ${expired} expired`,
    );

    const r = await runCli(['backtest', '--triggers', triggers, '--store', tmp.store, '--json'], '', env);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as BacktestReport;
    assert.equal(report.events, events.length);
    const quick = report.triggers.find((t) => t.trigger === 'quick_build');
    assert.ok(quick, r.stdout);
    assert.equal(report.triggers.length, 1, 'only the triggers of the file');
    assert.equal(quick.streams, streams, 'streams');
    assert.equal(quick.fired, fired, 'fired');
    assert.equal(quick.expired, expired, 'expired');
    assert.equal(report.pipeline_errors, 0);
    assert.equal(report.meters.find((m) => m.name === 'build_seconds')?.count, fired);
    assert.equal(report.meters.find((m) => m.name === 'build_failures')?.count, expired);

    const text = await runCli(['backtest', '--triggers', triggers, '--store', tmp.store], '', env);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, new RegExp(`quick_build\\s+${streams}\\s+${fired}\\s+${expired}`));

    assert.deepEqual(await footprint(tmp.store), before, 'the real store is unchanged');
  } finally {
    tmp.remove();
  }
});
