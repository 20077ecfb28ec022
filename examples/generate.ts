/**
 * The event generator as a library: an hour of OpenStack traffic with a few
 * faults, and the ground truth a correct engine must reproduce.
 *
 *   npm run build && node dist/examples/generate.js
 */
import { EventGenerator, MemorySink, openstackScenario, parseFaults } from '../src/generate/index.js';

const gen = new EventGenerator({
  scenario: openstackScenario(),
  opsPerHour: 1800,
  duration: 3_600_000_000, // one hour, in microseconds
  seed: 42,
  faults: parseFaults('drop=0.01,dup=0.005,delay=250ms'),
});

const counts = new Map<string, number>();
let first: string | undefined;
for (const g of gen) {
  first ??= g.line;
  const type =
    typeof g.notification?.['event_type'] === 'string' ? g.notification['event_type'] : '(malformed)';
  counts.set(type, (counts.get(type) ?? 0) + 1);
}

const truth = gen.truth();
const summary = gen.summary();
console.log(`${summary.notifications} notifications, ${truth.length} operations in one simulated hour`);
console.log('busiest event types:');
for (const [type, n] of [...counts].sort((a, b) => b[1] - a[1]).slice(0, 5))
  console.log(`  ${String(n).padStart(6)}  ${type}`);

const builds = truth.filter((r) => r.kind === 'compute.instance.create' && r.outcome === 'completed');
const mean = builds.reduce((s, r) => s + (r.duration_s ?? 0), 0) / builds.length;
console.log(`builds: ${builds.length} completed, mean ${mean.toFixed(1)} s`);
console.log('outcomes:', summary.outcomes);
console.log('a truth record:', JSON.stringify(truth.find((r) => r.faults.length > 0) ?? truth[0]));

// The same generator shape runs into any sink; here, the first 100 notifications kept in memory.
const sink = new MemorySink(100);
await new EventGenerator({ scenario: openstackScenario(), opsPerHour: 600, count: 1000, seed: 42 }).run(sink);
console.log(`memory sink kept ${sink.items.length}, counted ${sink.dropped} past its limit`);
console.log('first line starts:', (first ?? '').slice(0, 120) + '…');
