import { DuckDBStore } from '../../src/store/duckdb/duckdb-store.js';
import { MemoryStore } from '../../src/store/memory/memory-store.js';
import { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import { dropSchema, pgUrl, postgresUnavailable, randomSchema } from '../helpers/postgres.js';
import { REQUIRE_SERVICES } from '../helpers/services.js';
import type { Store } from '../../src/store/store.js';
import type { PhaseAnalysisSource } from '../../src/analysis/analysis-port.js';
import { EventGenerator, openstackScenario, type TruthRecord } from '../../src/generate/index.js';
import { testrunScenario } from '../../src/generate/testruns/testrun-scenario.js';
import { Instant, US_PER_HOUR } from '../../src/model/instant.js';

const pgDown = await postgresUnavailable();
if (pgDown !== undefined && !REQUIRE_SERVICES) {
  process.stderr.write(`SKIPPED: the analysis tests on the PostgreSQL store: ${pgDown}\n`);
}

/**
 * The stores that implement the analysis port, each fresh and open;
 * PostgreSQL in a new schema, dropped when the store is closed (left out,
 * loudly, when the server is unreachable, unless WAYMARK_REQUIRE_SERVICES=1).
 */
export const ANALYSIS_STORES: readonly {
  name: string;
  open: () => Promise<Store & PhaseAnalysisSource>;
}[] = [
  {
    name: 'memory',
    open: async () => {
      const s = new MemoryStore();
      await s.open();
      return s;
    },
  },
  {
    name: 'duckdb',
    open: async () => {
      const s = DuckDBStore.create({ path: ':memory:' });
      await s.open();
      return s;
    },
  },
  ...(pgDown !== undefined && !REQUIRE_SERVICES
    ? []
    : [
        {
          name: 'postgres',
          open: async () => {
            const schema = randomSchema();
            const s = new PostgresStore({ url: pgUrl({ schema, pool: '4' }) });
            await s.open();
            const close = s.close.bind(s);
            s.close = async () => {
              await close();
              await dropSchema(schema);
            };
            return s;
          },
        },
      ]),
];

/**
 * Generated traffic (notification lines in delivery order) and its truth,
 * without the operations the end of the run cut off (they never publish, so
 * no trigger fires for them).
 */
export function traffic(
  scenario: 'testruns' | 'openstack',
  seed: number,
  hours: number,
  opsPerHour: number,
): { lines: string[]; truth: TruthRecord[] } {
  const truth: TruthRecord[] = [];
  const gen = new EventGenerator({
    scenario: scenario === 'testruns' ? testrunScenario() : openstackScenario(),
    opsPerHour,
    seed,
    start: Instant.parse('2026-03-01T00:00:00Z'),
    duration: hours * US_PER_HOUR,
    onTruth: (r) => truth.push(r),
  });
  const all: { line: string; id: string }[] = [];
  for (const n of gen) {
    const p = (n.notification as { payload?: Record<string, unknown> }).payload ?? {};
    const id = p['testrun_id'];
    all.push({ line: n.line, id: typeof id === 'string' ? id : '' });
  }
  const cut = new Set(truth.filter((t) => t.outcome === 'cut_off').map((t) => t.id));
  return {
    lines: all.filter((n) => scenario !== 'testruns' || !cut.has(n.id)).map((n) => n.line),
    truth: truth.filter((t) => t.outcome !== 'cut_off'),
  };
}
