import { randomInt } from 'node:crypto';
import { resolve } from 'node:path';
import { EventGenerator, type GeneratorSummary } from '../../generate/event-generator.js';
import { describeFaults, FaultSpecError, parseFaults, type FaultOptions } from '../../generate/faults.js';
import { AmqpSink, AmqpSinkError, parseAmqpSinkUrl } from '../../generate/sinks/amqp-sink.js';
import { HttpSink, HttpSinkError, parseHttpUrl } from '../../generate/sinks/http-sink.js';
import type { Sink, TruthSink } from '../../generate/sinks/sink.js';
import { fileSink, StreamSink, truthFileSink } from '../../generate/sinks/stream-sink.js';
import { resolveScenario, UnknownScenarioError } from '../../generate/resolve-scenario.js';
import { TimeFormatError } from '../../model/errors.js';
import { Instant, US_PER_HOUR, formatIso, type Micros } from '../../model/instant.js';
import {
  durationFlag,
  intFlag,
  numberFlag,
  OUTPUT_FLAGS,
  parseFlags,
  UsageError,
  type CliIO,
  type Command,
} from '../command.js';
import { ProgressReporter, progressMode } from '../progress.js';

const NAME = 'generate';
const DEFAULT_OPS_PER_MINUTE = 60;

const FLAGS = {
  scenario: { type: 'string' },
  'ops-per-minute': { type: 'string' },
  'ops-per-hour': { type: 'string' },
  realtime: { type: 'boolean' },
  duration: { type: 'string' },
  count: { type: 'string' },
  start: { type: 'string' },
  seed: { type: 'string' },
  faults: { type: 'string' },
  envelope: { type: 'string' },
  truth: { type: 'string' },
  out: { type: 'string', short: 'o' },
  ...OUTPUT_FLAGS,
} as const;

const USAGE = `usage: waymark generate [--scenario openstack|testruns|templates:DIR]
                        [--ops-per-minute N | --ops-per-hour N] [--realtime]
                        [--duration 1d | --count N] [--start TIMESTAMP] [--seed N]
                        [--faults drop=0.01,dup=0.01,reorder=30s,skew=2s,delay=500ms,malformed=0.001]
                        [--envelope bare|oslo] [--truth FILE] [--out -|FILE|http://HOST:PORT/PATH|amqp://…]
                        [--quiet] [--json]

Generates notification traffic (JSON lines) and, with --truth, a ground-truth line per operation.
  --scenario        openstack (default), testruns, or templates:DIR (a notigen template directory)
  --ops-per-minute  operations started per minute (default ${DEFAULT_OPS_PER_MINUTE}); or --ops-per-hour
  --realtime        emit each notification when the wall clock reaches it (start defaults to now);
                    without --duration/--count it runs until interrupted (Ctrl-C)
  --duration        traffic of [start, start + duration); operations still running are cut off
                    (default 1h when neither --duration nor --count is given, as fast as possible)
  --count           stop after N notifications
  --start           first instant (default 2026-01-01T00:00:00Z as fast as possible, so --seed repeats bytes)
  --seed            random seed (default: random, printed in the summary)
  --faults          inject faults; fractions per notification, durations like 30s or 500ms
  --envelope        bare (default) or oslo (oslo messaging v2)
  --truth           write the ground truth (JSON lines) to FILE
  --out             - (stdout, default), a file, http(s)://HOST:PORT/PATH (NDJSON POSTs), or
                    amqp://USER:PASS@HOST:5672/VHOST?exchange=nova&routing_key=notifications.info
                    (one persistent message each, publisher confirms; exchange default nova (topic,
                    durable; exchange_type=, exchange_durable=), routing key default notifications.<priority>)
  --quiet           no progress and no summary; --json: progress and summary as JSON on stderr`;

function parseStart(value: string): Instant {
  try {
    return Instant.parse(value);
  } catch (cause) {
    if (cause instanceof TimeFormatError)
      throw new UsageError(`waymark ${NAME}: --start: ${cause.message}`, { cause });
    throw cause;
  }
}

function openOut(out: string, io: CliIO): Sink {
  if (out === '-') return new StreamSink(io.stdout, { name: 'stdout' });
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(out);
  if (scheme !== null) {
    const s = (scheme[1] ?? '').toLowerCase();
    if (s === 'amqp' || s === 'amqps') {
      try {
        return new AmqpSink(parseAmqpSinkUrl(out));
      } catch (cause) {
        if (cause instanceof AmqpSinkError)
          throw new UsageError(`waymark ${NAME}: --out: ${cause.message}`, { cause });
        throw cause;
      }
    }
    if (s !== 'http' && s !== 'https') {
      throw new UsageError(
        `waymark ${NAME}: --out: unsupported scheme "${s}://" in "${out}"; expected -, a file, http://HOST:PORT/PATH or amqp://HOST:5672/?exchange=nova`,
      );
    }
    try {
      return new HttpSink(parseHttpUrl(out));
    } catch (cause) {
      if (cause instanceof HttpSinkError)
        throw new UsageError(`waymark ${NAME}: --out: ${cause.message}`, { cause });
      throw cause;
    }
  }
  if (out === '')
    throw new UsageError(
      `waymark ${NAME}: --out: empty; expected -, a file, http://HOST:PORT/PATH or amqp://HOST:5672/?exchange=nova`,
    );
  return fileSink(resolve(io.cwd, out));
}

function summaryLine(s: GeneratorSummary, seed: number, faults: FaultOptions): string {
  const nf = (n: number): string => n.toLocaleString('en-US');
  const outcomes = Object.entries(s.outcomes)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${nf(v)}`)
    .join(', ');
  const f = s.faults;
  const struck = [
    f.drop > 0 ? `dropped ${nf(f.drop)}` : '',
    f.dup > 0 ? `duplicated ${nf(f.dup)}` : '',
    f.reorder > 0 ? `out of order ${nf(f.reorder)}` : '',
    f.malformed > 0 ? `malformed ${nf(f.malformed)}` : '',
    f.skewedHosts > 0 ? `skewed hosts ${nf(f.skewedHosts)}` : '',
  ].filter((x) => x !== '');
  return (
    `generate: ${nf(s.notifications)} notifications, ${nf(s.operations)} operations` +
    (outcomes === '' ? '' : ` (${outcomes})`) +
    `, faults ${describeFaults(faults)}${struck.length > 0 ? ` (${struck.join(', ')})` : ''}` +
    `, seed ${seed}, ${Instant.parse(s.start / 1e6).toISOString()} .. ${Instant.parse(s.end / 1e6).toISOString()}` +
    (s.aborted ? ', interrupted' : '')
  );
}

const command: Command = {
  name: NAME,
  summary: 'generate realistic notification traffic with ground truth',
  usage: USAGE,
  async run(args: string[], io: CliIO): Promise<number> {
    const { values: v } = parseFlags(NAME, args, FLAGS);
    if (v['ops-per-minute'] !== undefined && v['ops-per-hour'] !== undefined) {
      throw new UsageError(`waymark ${NAME}: give --ops-per-minute or --ops-per-hour, not both`);
    }
    if (v.duration !== undefined && v.count !== undefined) {
      throw new UsageError(`waymark ${NAME}: give --duration or --count, not both`);
    }
    const opsPerHour =
      v['ops-per-hour'] !== undefined
        ? numberFlag(NAME, 'ops-per-hour', v['ops-per-hour'])
        : 60 *
          (v['ops-per-minute'] !== undefined
            ? numberFlag(NAME, 'ops-per-minute', v['ops-per-minute'])
            : DEFAULT_OPS_PER_MINUTE);
    const realtime = v.realtime === true;
    let duration: Micros | undefined =
      v.duration === undefined ? undefined : durationFlag(NAME, 'duration', v.duration);
    const count = v.count === undefined ? undefined : intFlag(NAME, 'count', v.count, 1);
    if (!realtime && duration === undefined && count === undefined) duration = US_PER_HOUR;
    const seed = v.seed === undefined ? randomInt(0, 2 ** 31) : intFlag(NAME, 'seed', v.seed, 0);
    const start = v.start === undefined ? (realtime ? Instant.now() : undefined) : parseStart(v.start);
    let faults: FaultOptions = {};
    if (v.faults !== undefined) {
      try {
        faults = parseFaults(v.faults);
      } catch (cause) {
        if (cause instanceof FaultSpecError)
          throw new UsageError(`waymark ${NAME}: --faults: ${cause.message}`, { cause });
        throw cause;
      }
    }
    const envelope = v.envelope ?? 'bare';
    if (envelope !== 'bare' && envelope !== 'oslo') {
      throw new UsageError(`waymark ${NAME}: --envelope expects bare or oslo, got "${envelope}"`);
    }
    let scenario;
    try {
      scenario = resolveScenario(v.scenario ?? 'openstack');
    } catch (cause) {
      if (cause instanceof UnknownScenarioError)
        throw new UsageError(`waymark ${NAME}: --scenario: ${cause.message}`, { cause });
      throw cause;
    }
    const sink = openOut(v.out ?? '-', io);
    let truth: TruthSink | undefined;
    const mode = progressMode(io, v);
    const progress = new ProgressReporter(io, mode, NAME, 'notifications');
    const gen = new EventGenerator({
      scenario,
      opsPerHour,
      seed,
      start,
      duration,
      count,
      faults,
      envelope,
      keepTruth: false,
    });
    const abort = new AbortController();
    const onSigint = (): void => abort.abort();
    if (realtime) process.once('SIGINT', onSigint);
    let summary: GeneratorSummary;
    let failed = true;
    try {
      truth = v.truth === undefined ? undefined : truthFileSink(resolve(io.cwd, v.truth));
      summary = await gen.run(sink, {
        realtime,
        signal: abort.signal,
        truth,
        onProgress: (p) => {
          const total =
            p.total ??
            (p.fraction !== undefined && p.fraction > 0 ? Math.round(p.done / p.fraction) : undefined);
          progress.update({ done: p.done, total });
        },
      });
      failed = false;
    } finally {
      if (realtime) process.off('SIGINT', onSigint);
      // After a failure, closing must not hide the original error.
      await sink.close().catch((err: unknown) => {
        if (!failed) throw err;
      });
      await truth?.close().catch((err: unknown) => {
        if (!failed) throw err;
      });
    }
    progress.finish({ done: summary.notifications, total: summary.notifications });
    if (v.quiet !== true) {
      if (v.json === true) {
        const times = { start: formatIso(summary.start), end: formatIso(summary.end) };
        io.stderr.write(JSON.stringify({ summary: { ...summary, ...times, seed } }) + '\n');
      } else io.stderr.write(summaryLine(summary, seed, faults) + '\n');
    }
    return 0;
  },
};
export default command;
