/**
 * The memory case of bench/engine.ts, run as a child process
 * (`node --expose-gc dist/bench/engine-week.js STORE.duckdb`): a generated week
 * of OpenStack traffic replayed through `runtime.engine.ingest` with the event
 * clock, default config, into a new DuckDB file; heap and RSS sampled (after a
 * forced gc) at each quarter of the week. Prints one JSON line, a {@link WeekReport}.
 */
import { defaultWaymarkConfig } from '../src/config/waymark-config.js';
import { EventGenerator } from '../src/generate/event-generator.js';
import { openstackScenario } from '../src/generate/openstack/openstack-scenario.js';
import { US_PER_HOUR } from '../src/model/instant.js';
import type { WaymarkEvent } from '../src/model/event.js';
import { Runtime } from '../src/runtime/runtime.js';

export interface WeekSample {
  /** 1..4 */
  quarter: number;
  notifications: number;
  heapUsed: number;
  rss: number;
  openStreams: number;
}

export interface WeekReport {
  description: string;
  gc: boolean;
  samples: WeekSample[];
  ms: number;
}

const OPS_PER_HOUR = 240;
const WEEK_US = 7 * 24 * US_PER_HOUR;
const CHUNK = 1000;
const IN_FLIGHT = 16;

async function main(path: string): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  const config = { ...defaultWaymarkConfig(), storeUrl: `duckdb:${path}` };
  const runtime = await Runtime.open({ config, clock: 'event' });
  const t0 = performance.now();
  const samples: WeekSample[] = [];
  let notifications = 0;
  let chunk: WaymarkEvent[] = [];
  const inflight: Promise<unknown>[] = [];

  const send = async (): Promise<void> => {
    inflight.push(runtime.engine.ingest(chunk));
    chunk = [];
    if (inflight.length >= IN_FLIGHT) await inflight.shift();
  };
  const sample = async (quarter: number): Promise<void> => {
    await send();
    await Promise.all(inflight.splice(0));
    await runtime.engine.idle();
    gc?.();
    gc?.();
    const m = process.memoryUsage();
    const counts = runtime.engine.stateCounts();
    const open = Object.entries(counts).reduce((n, [s, c]) => (s === 'completed' ? n : n + c), 0);
    samples.push({ quarter, notifications, heapUsed: m.heapUsed, rss: m.rss, openStreams: open });
  };

  try {
    const gen = new EventGenerator({
      scenario: openstackScenario(),
      opsPerHour: OPS_PER_HOUR,
      duration: WEEK_US,
      seed: 3,
      keepTruth: false,
    });
    let start: number | undefined;
    let quarter = 1;
    for (const g of gen) {
      start ??= g.emitted;
      while (g.emitted - start >= (quarter * WEEK_US) / 4 && quarter < 4) await sample(quarter++);
      notifications++;
      const r = runtime.distiller.distillLine(g.line);
      if (r.status === 'event') chunk.push(r.event);
      if (chunk.length >= CHUNK) await send();
    }
    await sample(4);
  } finally {
    await runtime.close();
  }
  const report: WeekReport = {
    description:
      `a generated week of OpenStack traffic (${OPS_PER_HOUR / 60} operations/min, seed 3, ` +
      `${notifications.toLocaleString('en-US')} notifications) through runtime.engine.ingest in chunks of ` +
      `${CHUNK}, event clock, default config, DuckDB`,
    gc: gc !== undefined,
    samples,
    ms: performance.now() - t0,
  };
  process.stdout.write(JSON.stringify(report) + '\n');
}

const path = process.argv[2];
if (path === undefined) {
  process.stderr.write('usage: node --expose-gc dist/bench/engine-week.js STORE.duckdb\n');
  process.exitCode = 2;
} else {
  await main(path);
}
