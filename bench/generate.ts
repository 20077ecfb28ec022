/**
 * Generator throughput: the OpenStack scenario as fast as possible into a null
 * sink, against `JSON.stringify` alone on the same notifications (same seed,
 * same run of this suite).
 */
import { EventGenerator } from '../src/generate/event-generator.js';
import { openstackScenario } from '../src/generate/openstack/openstack-scenario.js';
import { NullSink } from '../src/generate/sinks/memory-sink.js';
import type { BenchFigure, BenchSuite } from './lib.js';

const COUNT = 200_000;
const SEED = 1;
const ROUNDS = 3;

function generator(): EventGenerator {
  return new EventGenerator({
    scenario: openstackScenario(),
    opsPerHour: 3600,
    count: COUNT,
    seed: SEED,
    keepTruth: false,
  });
}

const suite: BenchSuite = {
  title: 'generate (OpenStack scenario)',
  async run(): Promise<BenchFigure[]> {
    // warm-up
    await new EventGenerator({ scenario: openstackScenario(), opsPerHour: 3600, count: 50_000, seed: 2 }).run(
      new NullSink(),
    );
    let best = 0;
    let bytes = 0;
    for (let r = 0; r < ROUNDS; r++) {
      const sink = new NullSink();
      const t0 = performance.now();
      await generator().run(sink, { batchSize: 1000 });
      const ms = performance.now() - t0;
      best = Math.max(best, (sink.count * 1000) / ms);
      bytes = sink.bytes;
    }
    // the same notifications as objects, then JSON.stringify alone
    const objects: unknown[] = [];
    for (const g of generator()) objects.push(g.notification);
    let baseline = 0;
    for (let r = 0; r < ROUNDS; r++) {
      let n = 0;
      const t0 = performance.now();
      for (const o of objects) n += JSON.stringify(o).length;
      const ms = performance.now() - t0;
      if (n > 0) baseline = Math.max(baseline, (objects.length * 1000) / ms);
    }
    const meanSize = bytes / COUNT;
    return [
      {
        name: `generate ${COUNT.toLocaleString('en-US')} notifications to a null sink`,
        value: best,
        unit: 'notifications/s',
        baseline: { name: 'JSON.stringify alone, same notifications', value: baseline },
        target: '>= 100,000/s and >= 50% of baseline',
        met: best >= 100_000 && best >= 0.5 * baseline,
        notes: `${((best * meanSize) / 1e6).toFixed(0)} MB/s; mean notification ${meanSize.toFixed(0)} bytes`,
      },
    ];
  },
};
export default suite;
