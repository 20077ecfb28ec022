import { Instant } from '../../model/instant.js';
import type { WaymarkEvent } from '../../model/event.js';
import type { DeadLetter } from '../../store/store.js';
import { Runtime } from '../../runtime/runtime.js';
import { CONFIG_FLAGS, resolveConfig } from '../config-flags.js';
import { OUTPUT_FLAGS, UsageError, durationFlag, parseFlags, writeAll, type Command } from '../command.js';
import { openInput } from '../input.js';
import { distilledLines } from '../ingest-lines.js';
import { ProgressReporter, progressMode } from '../progress.js';
import { cliLogger } from '../cli-logger.js';

const FLAGS = {
  ...CONFIG_FLAGS,
  clock: { type: 'string' },
  lateness: { type: 'string' },
  events: { type: 'boolean' },
  finish: { type: 'boolean' },
  verbose: { type: 'boolean', short: 'v' },
  ...OUTPUT_FLAGS,
} as const;

const USAGE = `usage: waymark ingest [--config FILE] [--store URL] [--clock event|wall] [--lateness 60s]
                      [--events] [--finish] [--verbose] [--quiet|--json] [FILE|-]

Replays JSON lines (OpenStack notifications, bare or oslo envelopes; or, with
--events or when the first line is one, distilled events) into the store through
the trigger engine: events are stored with their stream membership, streams fire
and expire, pipelines run. Bad lines go to the store's dead letters.

  --config FILE     waymark.yaml (default: $WAYMARK_CONFIG, ./waymark.yaml, else built-in)
  --store URL       duckdb:PATH | postgresql://… | memory: (overrides the config's database)
  --clock event     (default) event time: the latest timestamp seen less the
                    lateness; at the end of input the clock stands at the latest
                    timestamp. "wall": the system clock.
  --lateness D      how late an event may be and still join its stream (default: config, 60s)
  --events          the input is distilled events, not notifications
  --finish          the input is all there will ever be: at the end, move the clock
                    past every expiration, so every stream fires or expires
  -v, --verbose     print every pipeline warning (default: counted, summarised at the end)
  -q, --quiet       no progress line; --json: progress and summary as JSON

Exit codes: 0 done (bad lines are counted and kept as dead letters), 2 bad flags or config.`;

const CHUNK = 1000;
const IN_FLIGHT = 16;
const nf = new Intl.NumberFormat('en-US');

const command: Command = {
  name: 'ingest',
  summary: 'replay notifications or events (JSON lines) into the store through the trigger engine',
  usage: USAGE,
  async run(args, io) {
    const { values, positionals } = parseFlags('ingest', args, FLAGS, { min: 0, max: 1 });
    const clock = values.clock ?? 'event';
    if (clock !== 'event' && clock !== 'wall') {
      throw new UsageError(`ingest: --clock must be "event" or "wall", got "${clock}"`);
    }
    const base = resolveConfig(values, io);
    const config =
      values.lateness === undefined
        ? base
        : { ...base, latenessSeconds: durationFlag('ingest', 'lateness', values.lateness) / 1e6 };
    const input = openInput(io, positionals[0]);
    const mode = progressMode(io, values);
    const log = cliLogger(io, mode, values.verbose === true);
    const runtime = await Runtime.open({ config, clock, log });
    const progress = new ProgressReporter(io, mode, 'ingest', 'lines');
    const counts = { lines: 0, events: 0, duplicates: 0, no_definition: 0, dead_letters: 0 };
    const started = performance.now();
    const eventsMode = values.events === true ? true : undefined;
    let latest = -Infinity;
    let events: WaymarkEvent[] = [];
    let dead: DeadLetter[] = [];
    const inflight: Promise<void>[] = [];
    const source = `file:${positionals[0] ?? 'stdin'}`;

    const send = async (): Promise<void> => {
      const batch = events;
      const letters = dead;
      events = [];
      dead = [];
      inflight.push(
        runtime.engine.ingest(batch, letters).then((r) => {
          counts.events += r.accepted;
          counts.duplicates += r.duplicates;
        }),
      );
      if (inflight.length >= IN_FLIGHT) await inflight.shift();
    };
    const snapshot = (): Parameters<ProgressReporter['update']>[0] => ({
      done: counts.lines,
      extra: { events: counts.events, duplicates: counts.duplicates, 'dead letters': counts.dead_letters },
    });

    try {
      const read = distilledLines(input, positionals[0] ?? 'stdin', {
        distillerFiles: config.distillerFiles,
        catchAll: config.catchAll,
        eventsMode,
      });
      for await (const r of read) {
        counts.lines += r.lines;
        counts.no_definition += r.noDefinition;
        for (const b of r.bad) {
          counts.dead_letters++;
          dead.push({ source, reason: b.reason, payload: b.payload, received: Instant.now() });
          // Sent like events: an input of nothing but bad lines must not pile up in memory.
          if (events.length + dead.length >= CHUNK) await send();
        }
        for (const e of r.events) {
          if (e.timestamp.us > latest) latest = e.timestamp.us;
          events.push(e);
          if (events.length + dead.length >= CHUNK) await send();
        }
        progress.update(snapshot());
      }
      await send();
      await Promise.all(inflight);
      await runtime.engine.idle();
      if (clock === 'event') {
        const end =
          values.finish === true
            ? Instant.parse('9999-12-31T23:59:59Z')
            : latest > -Infinity
              ? new Instant(latest)
              : undefined;
        if (end !== undefined) await runtime.engine.advanceClock(end);
      }
      await runtime.engine.idle();
      const states = runtime.engine.stateCounts();
      const elapsed = (performance.now() - started) / 1000;
      if (mode === 'json') {
        progress.finish(snapshot());
        await writeAll(
          io.stdout,
          JSON.stringify({
            summary: 'ingest',
            ...counts,
            streams: states,
            meters: runtime.meters(),
            elapsed_s: Number(elapsed.toFixed(3)),
          }) + '\n',
        );
      } else {
        progress.clear();
        const rate = elapsed > 0 ? Math.round(counts.lines / elapsed) : 0;
        const streamText = Object.entries(states)
          .filter(([, n]) => n > 0)
          .map(([s, n]) => `${s} ${nf.format(n)}`)
          .join(', ');
        await writeAll(
          io.stdout,
          `ingested ${nf.format(counts.lines)} lines in ${elapsed.toFixed(1)} s (${nf.format(rate)}/s): ` +
            `${nf.format(counts.events)} events stored, ${nf.format(counts.duplicates)} duplicates dropped, ` +
            `${nf.format(counts.no_definition)} without a definition, ${nf.format(counts.dead_letters)} dead letters\n` +
            `streams: ${streamText === '' ? 'none' : streamText} (clock ${runtime.engine.clock.now().toISOString()})\n`,
        );
      }
    } finally {
      await runtime.close();
      io.stderr.write(log.summary());
    }
    return 0;
  },
};

export default command;
