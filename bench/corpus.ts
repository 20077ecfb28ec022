/**
 * A corpus of OpenStack notifications for benchmarks: the built-in scenario,
 * bare envelope, no faults, deterministic for a seed.
 */
import { EventGenerator } from '../src/generate/event-generator.js';
import { openstackScenario } from '../src/generate/openstack/openstack-scenario.js';

/** `count` JSON lines (no newlines) of the OpenStack scenario at 60 operations a minute. */
export function openstackCorpus(count: number, seed = 1): string[] {
  const gen = new EventGenerator({
    scenario: openstackScenario(),
    opsPerHour: 3600,
    count,
    seed,
    keepTruth: false,
  });
  const lines: string[] = [];
  for (const g of gen) lines.push(g.line);
  return lines;
}
