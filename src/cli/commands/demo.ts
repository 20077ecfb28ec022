import { Distiller, BUNDLED_DEFINITIONS } from '../../distill/index.js';
import { EventGenerator, openstackScenario, type TruthRecord } from '../../generate/index.js';
import { Instant } from '../../model/instant.js';
import { formatDuration } from '../../model/duration.js';
import { OUTPUT_FLAGS, durationFlag, intFlag, parseFlags, type CliIO, type Command } from '../command.js';
import { ProgressReporter, progressMode } from '../progress.js';
import { renderTable } from '../table.js';

const USAGE = `usage: waymark demo [--ops-per-minute N] [--duration 1h] [--seed N] [--quiet] [--json]

Generates OpenStack notification traffic as fast as possible (an hour of it by
default), distills every notification with the bundled event definitions, and
prints what happened: throughput, events by type, operations by kind and outcome.`;

/** A fixed start, so the same seed prints the same tables. */
const DEMO_START = Instant.parse('2026-01-01T00:00:00Z');

interface KindSummary {
  count: number;
  completed: number;
  failed: number;
  durations: number[];
}

/** Event types listed in the table; the rest are summed in one line. */
const TOP_EVENT_TYPES = 12;

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  const a = sorted[lo] as number;
  return a + ((sorted[hi] as number) - a) * (rank - lo);
}

const num = (n: number, digits = 0): string =>
  Number.isFinite(n)
    ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
    : '-';

const command: Command = {
  name: 'demo',
  summary: 'generate OpenStack traffic, distill it, print a summary',
  usage: USAGE,
  // eslint-disable-next-line @typescript-eslint/require-await
  async run(args: string[], io: CliIO): Promise<number> {
    const { values } = parseFlags('demo', args, {
      ...OUTPUT_FLAGS,
      'ops-per-minute': { type: 'string', default: '30' },
      duration: { type: 'string', default: '1h' },
      seed: { type: 'string', default: '1' },
    });
    const opsPerMinute = intFlag('demo', 'ops-per-minute', values['ops-per-minute']);
    const duration = durationFlag('demo', 'duration', values.duration);
    const seed = intFlag('demo', 'seed', values.seed, 0);
    const progress = new ProgressReporter(io, progressMode(io, values), 'demo', 'notifications');

    const distiller = Distiller.load(BUNDLED_DEFINITIONS);
    const start = DEMO_START;
    const generator = new EventGenerator({
      scenario: openstackScenario(),
      opsPerHour: opsPerMinute * 60,
      seed,
      start,
      duration,
    });

    const byType = new Map<string, number>();
    let notifications = 0;
    let bytes = 0;
    let distilled = 0;
    let noDefinition = 0;
    let bad = 0;
    let distillMs = 0;
    const t0 = performance.now();
    for (const g of generator) {
      notifications++;
      bytes += g.line.length + 1;
      const d0 = performance.now();
      const out = distiller.distillLine(g.line, new Instant(g.received));
      distillMs += performance.now() - d0;
      if (out.status === 'event') {
        distilled++;
        byType.set(out.event.event_type, (byType.get(out.event.event_type) ?? 0) + 1);
      } else if (out.status === 'no_definition') noDefinition++;
      else bad++;
      if ((notifications & 1023) === 0) {
        // Progress by simulated time: the share of the window already generated.
        const fraction = (g.emitted - start.us) / duration;
        progress.update({
          done: notifications,
          total: fraction > 0 ? Math.round(notifications / fraction) : undefined,
        });
      }
    }
    const totalMs = performance.now() - t0;
    progress.finish({ done: notifications });

    const kinds = new Map<string, KindSummary>();
    const truth: TruthRecord[] = generator.truth();
    for (const op of truth) {
      const k = kinds.get(op.kind) ?? { count: 0, completed: 0, failed: 0, durations: [] };
      k.count++;
      if (op.outcome === 'completed') k.completed++;
      if (op.outcome === 'failed') k.failed++;
      if (op.duration_s !== null && op.outcome === 'completed') k.durations.push(op.duration_s);
      kinds.set(op.kind, k);
    }
    const generateMs = totalMs - distillMs;

    if (values.json === true) {
      io.stdout.write(
        JSON.stringify({
          duration_s: duration / 1e6,
          ops_per_minute: opsPerMinute,
          seed,
          notifications,
          bytes,
          operations: truth.length,
          generate_per_s: Math.round(notifications / (generateMs / 1000)),
          distill_per_s: Math.round(notifications / (distillMs / 1000)),
          distilled,
          no_definition: noDefinition,
          bad,
          events_by_type: Object.fromEntries([...byType].sort()),
          operations_by_kind: Object.fromEntries(
            [...kinds]
              .sort()
              .map(([kind, s]) => [kind, { count: s.count, completed: s.completed, failed: s.failed }]),
          ),
        }) + '\n',
      );
      return 0;
    }

    const out: string[] = [];
    out.push(
      `waymark demo: ${formatDuration(duration)} of OpenStack traffic at ${opsPerMinute} operations/minute (seed ${seed}), distilled with the bundled definitions`,
      '',
      `generated  ${num(notifications)} notifications (${num(bytes / 1e6, 1)} MB) from ${num(truth.length)} operations in ${num(generateMs / 1000, 2)} s (${num(notifications / (generateMs / 1000))}/s)`,
      `distilled  ${num(distilled)} events in ${num(distillMs / 1000, 2)} s (${num(notifications / (distillMs / 1000))}/s); no definition ${num(noDefinition)}; bad ${num(bad)}`,
      '',
    );
    out.push('durations: completed operations, seconds from first to last notification (ground truth)', '');
    const kindRows = [...kinds].sort((a, b) => b[1].count - a[1].count);
    out.push(
      renderTable(
        ['operation', 'count', 'completed', 'failed', 'unfinished', 'mean s', 'p50 s', 'p90 s', 'max s'],
        kindRows.map(([kind, s]) => {
          const sorted = s.durations.slice().sort((a, b) => a - b);
          const mean = sorted.reduce((x, y) => x + y, 0) / sorted.length;
          return [
            kind,
            num(s.count),
            num(s.completed),
            num(s.failed),
            num(s.count - s.completed - s.failed),
            num(mean, 1),
            num(percentile(sorted, 50), 1),
            num(percentile(sorted, 90), 1),
            num(sorted[sorted.length - 1] ?? NaN, 1),
          ];
        }),
      ),
      '',
    );
    const types = [...byType].sort((a, b) => b[1] - a[1]);
    const rest = types.slice(TOP_EVENT_TYPES);
    const typeRows = types.slice(0, TOP_EVENT_TYPES).map(([type, n]) => [type, num(n)]);
    if (rest.length > 0) {
      typeRows.push([`(${rest.length} more types)`, num(rest.reduce((sum, [, n]) => sum + n, 0))]);
    }
    out.push(renderTable(['event type', 'events'], typeRows));
    io.stdout.write(out.join('\n') + '\n');
    return 0;
  },
};
export default command;
