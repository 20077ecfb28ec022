import type { MeterJSON } from '../../server/backend.js';
import { CLIENT_FLAGS, connectApi } from '../api-client.js';
import { OUTPUT_FLAGS, parseFlags, writeAll, type Command } from '../command.js';
import { tableText as table } from '../table.js';

const FLAGS = { ...CLIENT_FLAGS, ...OUTPUT_FLAGS } as const;

const USAGE = `usage: waymark meters [--json]

The meters and counters pipelines recorded (count, min, max, mean, population
std dev, p50/p90/p99; durations in seconds), from the running server or the store.
Also: --config FILE, --store URL, --server URL.`;

const f = (v: number | null): string => (v === null ? '-' : Number.isInteger(v) ? String(v) : v.toFixed(3));

/** The meter table of `waymark meters` and the demo. */
export function meterTable(meters: readonly MeterJSON[]): string {
  return table(
    ['meter', 'type', 'count', 'min', 'mean', 'stddev', 'p50', 'p90', 'p99', 'max'],
    meters.map((m) => [
      m.name,
      m.type,
      String(m.count),
      f(m.min),
      f(m.mean),
      f(m.stddev),
      f(m.p50),
      f(m.p90),
      f(m.p99),
      f(m.max),
    ]),
  );
}

const command: Command = {
  name: 'meters',
  summary: 'show the meters and counters pipelines recorded (server or store)',
  usage: USAGE,
  async run(args, io) {
    const { values } = parseFlags('meters', args, FLAGS);
    const api = await connectApi(values, io);
    try {
      const { meters } = (await api.request('GET', '/v1/meters')) as { meters: MeterJSON[] };
      await writeAll(
        io.stdout,
        values.json === true
          ? JSON.stringify(meters) + '\n'
          : meters.length === 0
            ? 'no meters yet\n'
            : meterTable(meters),
      );
      return 0;
    } finally {
      await api.close();
    }
  },
};

export default command;
