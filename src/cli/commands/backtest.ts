import { resolve } from 'node:path';
import { Instant } from '../../model/instant.js';
import { distinguishingToJSON } from '../../engine/distinguishing.js';
import { Runtime } from '../../runtime/runtime.js';
import { MemoryStore } from '../../store/memory/memory-store.js';
import { openStore } from '../../store/open-store.js';
import type { StreamRecord, StreamState } from '../../store/store.js';
import { CONFIG_FLAGS, resolveConfig } from '../config-flags.js';
import { OUTPUT_FLAGS, UsageError, intFlag, parseFlags, writeAll, type Command } from '../command.js';
import { ProgressReporter, progressMode } from '../progress.js';
import { cliLogger } from '../cli-logger.js';
import { tableText as table } from '../table.js';

const FLAGS = {
  ...CONFIG_FLAGS,
  triggers: { type: 'string', multiple: true },
  pipelines: { type: 'string', multiple: true },
  from: { type: 'string' },
  to: { type: 'string' },
  examples: { type: 'string' },
  ...OUTPUT_FLAGS,
} as const;

const USAGE = `usage: waymark backtest --triggers FILE [--pipelines FILE] [--from T] [--to T]
                        [--config FILE] [--store URL] [--examples N] [--quiet|--json]

Runs trigger definitions (new or edited) against the events already stored,
with the event-time clock, in a scratch in-memory store: the real store is only
read. Reports what would have fired and expired, per trigger, with examples and
the meters the pipelines would have recorded. Handlers with outside effects
(webhook, publish, your modules) run, but their commit() is skipped.

  --triggers FILE    trigger definitions to try (repeatable; required)
  --pipelines FILE   pipeline definitions (repeatable; default: the config's)
  --from T, --to T   only events with from <= timestamp < to (ISO or OpenStack times)
  --examples N       example streams per trigger and outcome (default 3)

The store must not be held by a running "waymark serve" (DuckDB allows one process).`;

function timeFlag(name: string, v: string | undefined): Instant | undefined {
  if (v === undefined) return undefined;
  const t = Instant.tryParse(v);
  if (t === undefined) throw new UsageError(`backtest: --${name} expects a timestamp, got "${v}"`);
  return t;
}

const command: Command = {
  name: 'backtest',
  summary: 'run trigger definitions against stored events in a scratch store; report fires and expiries',
  usage: USAGE,
  async run(args, io) {
    const { values } = parseFlags('backtest', args, FLAGS);
    if (values.triggers === undefined) throw new UsageError('backtest: --triggers FILE is required');
    const from = timeFlag('from', values.from);
    const to = timeFlag('to', values.to);
    const nExamples = values.examples === undefined ? 3 : intFlag('backtest', 'examples', values.examples, 0);
    const config = resolveConfig(values, io);
    const mode = progressMode(io, values);
    const scratch = new MemoryStore();
    await scratch.open();
    const runtime = await Runtime.open({
      // The scratch store keeps everything: the report reads it at the end.
      config: { ...config, purgeCompletedAfterSeconds: undefined, trimEventsAfterSeconds: undefined },
      clock: 'event',
      store: scratch,
      triggerFiles: values.triggers.map((f) => resolve(io.cwd, f)),
      ...(values.pipelines ? { pipelineFiles: values.pipelines.map((f) => resolve(io.cwd, f)) } : {}),
      dryRun: true,
      log: cliLogger(io, mode),
    });
    const source = await openStore(config.storeUrl, { cwd: io.cwd });
    const progress = new ProgressReporter(io, mode, 'backtest', 'events');
    let done = 0;
    let latest: Instant | undefined;
    try {
      let marker: string | undefined;
      do {
        const page = await source.queryEvents({
          limit: 5000,
          ...(from ? { from } : {}),
          ...(to ? { to } : {}),
          ...(marker ? { marker } : {}),
        });
        if (page.items.length > 0) {
          await runtime.engine.ingest(page.items);
          latest = (page.items[page.items.length - 1] as (typeof page.items)[number]).timestamp;
        }
        done += page.items.length;
        progress.update({ done });
        marker = page.next;
      } while (marker !== undefined);
      await runtime.engine.idle();
      const end = to ?? latest;
      if (end !== undefined) await runtime.engine.advanceClock(end);
      await runtime.engine.idle();
      if (mode !== 'json') progress.clear();
      else progress.finish({ done });

      const report = [];
      for (const trigger of runtime.triggers) {
        const streams: StreamRecord[] = [];
        let m: string | undefined;
        do {
          const page = await scratch.queryStreams({
            trigger: trigger.name,
            limit: 1000,
            ...(m ? { marker: m } : {}),
          });
          streams.push(...page.items);
          m = page.next;
        } while (m !== undefined);
        const byState: Partial<Record<StreamState, number>> = {};
        for (const s of streams) byState[s.state] = (byState[s.state] ?? 0) + 1;
        const example = (outcome: 'fired' | 'expired') =>
          streams
            .filter((s) => s.outcome === outcome)
            .slice(0, nExamples)
            .map((s) => ({
              id: s.id,
              distinguished_by: distinguishingToJSON(s.distinguishedBy),
              first: s.first.toISOString(),
              last: s.last.toISOString(),
              event_count: s.eventCount,
            }));
        report.push({
          trigger: trigger.name,
          streams: streams.length,
          fired: streams.filter((s) => s.outcome === 'fired').length,
          expired: streams.filter((s) => s.outcome === 'expired').length,
          states: byState,
          examples: { fired: example('fired'), expired: example('expired') },
        });
      }
      const meters = runtime.meters();
      const errors = (await scratch.pipelineOutcomes({ limit: 100_000 })).filter(
        (o) => o.status === 'error',
      ).length;
      const summary = {
        events: done,
        clock: runtime.engine.clock.now().toISOString(),
        triggers: report,
        meters,
        pipeline_errors: errors,
      };
      if (values.json === true) {
        await writeAll(io.stdout, JSON.stringify(summary) + '\n');
      } else {
        let out = `backtest over ${done} stored events (clock at the end: ${summary.clock})\n\n`;
        out += table(
          ['trigger', 'streams', 'fired', 'expired', 'still open'],
          report.map((r) => [
            r.trigger,
            String(r.streams),
            String(r.fired),
            String(r.expired),
            String(r.streams - r.fired - r.expired),
          ]),
        );
        for (const r of report) {
          for (const kind of ['fired', 'expired'] as const) {
            for (const e of r.examples[kind]) {
              out += `  ${r.trigger} ${kind}: stream ${e.id} ${JSON.stringify(e.distinguished_by)} ${e.event_count} events ${e.first} .. ${e.last}\n`;
            }
          }
        }
        if (meters.length > 0) {
          out +=
            '\n' +
            table(
              ['meter', 'count', 'mean', 'p50', 'p90', 'p99'],
              meters.map((m) => [m.name, String(m.count), fmt(m.mean), fmt(m.p50), fmt(m.p90), fmt(m.p99)]),
            );
        }
        if (errors > 0) out += `\n${errors} pipeline runs failed (see the log above)\n`;
        await writeAll(io.stdout, out);
      }
    } finally {
      await source.close();
      await runtime.close();
      await scratch.close();
    }
    return 0;
  },
};

function fmt(v: number | null): string {
  return v === null ? '-' : v.toFixed(3);
}

export default command;
