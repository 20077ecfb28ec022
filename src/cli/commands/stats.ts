import { readFileSync, unlinkSync } from 'node:fs';
import { basename, isAbsolute, resolve } from 'node:path';
import { HistogramSnapshot } from '../../stats/histogram-snapshot.js';
import { filesTemplate, listGlob, pidFromName, statsGlob } from '../../stats/paths.js';
import { parseStatsFile, readStatsFile, type ParsedStats, type StatsField } from '../../stats/reader.js';
import { parseFlags, UsageError, writeAll, type CliIO, type Command } from '../command.js';
import { pollStats } from './stats-poll.js';
import { serveStats } from './stats-serve.js';

const USAGE = `usage: waymark stats slurp [FILE...] [--json]
       waymark stats poll [-p PREFIX] FIELD[,FIELD...] [--interval 1s] [--count N]
                          [--agg sum] [--dir DIR] [--glob GLOB] [--json]
       waymark stats serve [--port 9181] [--host 127.0.0.1] [--dir DIR] [--glob GLOB]
                           [--gauge avg]
       waymark stats clean [--dry-run] [--json]

Read the stats files (mmstats format v1, and waymark's v2 with histograms) that
waymark and Python's mmstats write.

  slurp [FILE...]  print every field of every file: the named files, else every
                   file MMSTATS_GLOB matches (default: $MMSTATS_PATH/*.mmstats,
                   MMSTATS_PATH defaulting to the OS temp dir); a histogram as
                   its count, sum, min, max, p50, p90 and p99
  poll FIELDS      a vmstat-like line per interval of the named fields (labels
                   PREFIX.FIELD) aggregated across files: counters as rates per
                   second, other numbers as values, histograms as their p50
                   (FIELD:p90, :p99, :count (a rate), :sum, :mean, :min, :max);
                   a header every 20 lines; stops after --count lines or ^C
  serve            HTTP: GET /metrics (Prometheus text format 0.0.4) and
                   GET /v1/stats?glob=&agg=&prefix= (JSON), until ^C
  clean            remove the files whose writer process is gone (the pid from the
                   file's sys.pid field, else from its name); a live process's
                   file is never removed
  -p, --prefix P   poll: the labels' common prefix ("web.stats" or "web.stats.")
  -i, --interval D poll: time between lines (1s, 500ms, ...; default 1s)
  -c, --count N    poll: stop after N lines
  --agg AGG        poll: how files combine: sum (default), avg, min, max,
                   nonzero-avg, nonzero-min
  --dir DIR        poll, serve: the stats directory (default: MMSTATS_GLOB's, else
                   $MMSTATS_PATH, else the OS temp dir)
  --glob GLOB      poll, serve: file names to read, * and ? only (default
                   *.mmstats); never reaches outside the directory
  --port N         serve: the port (default 9181; 0 picks a free one)
  --host H         serve: the address to listen on (default 127.0.0.1)
  --gauge AGG      serve: how /metrics combines gauges across files (default avg)
  --json           one JSON object per file (slurp), per line (poll) or per
                   removal (clean); 64-bit integers beyond 2^53 are printed as
                   JSON numbers
  --dry-run        clean: say what would be removed, remove nothing
  -h, --help       this text

Exit codes: 0 ok, 2 bad flags or a file that could not be read (slurp: the
others are still printed; poll reports unreadable files on stderr and goes on).`;

function userPath(io: CliIO, file: string): string {
  return isAbsolute(file) ? file : resolve(io.cwd, file);
}

function jsonValue(v: StatsField['value']): string {
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof HistogramSnapshot) {
    const s = v.summary();
    const n = (x: number | null): number | null => (x !== null && Number.isFinite(x) ? x : null);
    return JSON.stringify({ ...s, sum: n(s.sum), min: n(s.min), max: n(s.max) });
  }
  return JSON.stringify(typeof v === 'number' && !Number.isFinite(v) ? null : v);
}

function textValue(v: StatsField['value']): string {
  if (!(v instanceof HistogramSnapshot)) return String(v);
  const s = v.summary();
  const g = (x: number | null): string => (x === null ? '-' : String(Number(x.toPrecision(6))));
  return `count=${s.count} sum=${g(s.sum)} min=${g(s.min)} max=${g(s.max)} p50=${g(s.p50)} p90=${g(s.p90)} p99=${g(s.p99)}`;
}

function fieldJson(f: StatsField): string {
  return `{"label":${JSON.stringify(f.label)},"type":${JSON.stringify(f.type)},"buffered":${f.buffered},"metric":"${f.metric}","value":${jsonValue(f.value)}}`;
}

function reason(err: unknown): string {
  return (err as Error).message;
}

async function slurp(args: string[], io: CliIO): Promise<number> {
  const flags = parseFlags('stats slurp', args, { json: { type: 'boolean' } }, { min: 0, max: Infinity });
  const files =
    flags.positionals.length > 0
      ? flags.positionals.map((f) => userPath(io, f))
      : listGlob(statsGlob(io.env));
  let code = 0;
  for (const file of files) {
    let parsed: ParsedStats;
    try {
      parsed = parseStatsFile(readFileSync(file), file);
    } catch (err) {
      await writeAll(
        io.stderr,
        `waymark stats slurp: ${reason(err).startsWith(file) ? '' : `${file}: `}${reason(err)}\n`,
      );
      code = 2;
      continue;
    }
    const { version, fields, skipped } = parsed;
    if (flags.values.json) {
      await writeAll(
        io.stdout,
        `{"file":${JSON.stringify(file)},"version":${version},"fields":[${fields.map(fieldJson).join(',')}],"skipped":${JSON.stringify(skipped)}}\n`,
      );
    } else {
      const width = Math.max(0, ...fields.map((f) => f.label.length), ...skipped.map((f) => f.label.length));
      const lines = fields.map((f) => `  ${f.label.padEnd(width)}  ${textValue(f.value)}`);
      for (const f of skipped) lines.push(`  ${f.label.padEnd(width)}  (skipped: ${f.reason})`);
      await writeAll(io.stdout, `==> ${file} <==\n${lines.join('\n')}${lines.length > 0 ? '\n' : ''}`);
    }
  }
  return code;
}

/** The writer's pid: the file's `sys.pid` field, else the `{PID}` in its name. */
function writerPid(file: string, template: string): { pid?: number; via: string } {
  try {
    const field = readStatsFile(file).find((f) => f.label === 'sys.pid' || f.label.endsWith('.sys.pid'));
    if (field !== undefined && typeof field.value === 'number' && field.value > 0) {
      return { pid: field.value, via: field.label };
    }
  } catch {
    // An unreadable file may still carry the pid in its name.
  }
  const pid = pidFromName(template, basename(file));
  return pid === undefined ? { via: 'none' } : { pid, via: 'file name' };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function clean(args: string[], io: CliIO): Promise<number> {
  const flags = parseFlags('stats clean', args, {
    'dry-run': { type: 'boolean' },
    json: { type: 'boolean' },
  });
  const dry = flags.values['dry-run'] === true;
  const template = filesTemplate(io.env);
  let code = 0;
  let removed = 0;
  for (const file of listGlob(statsGlob(io.env))) {
    const { pid, via } = writerPid(file, template);
    if (pid === undefined || alive(pid)) continue;
    if (!dry) {
      try {
        unlinkSync(file);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
        await writeAll(io.stderr, `waymark stats clean: cannot remove ${file}: ${reason(err)}\n`);
        code = 2;
        continue;
      }
    }
    removed += 1;
    const line = flags.values.json
      ? JSON.stringify({ file, pid, pidFrom: via, removed: !dry })
      : `${dry ? 'would remove' : 'removed'} ${file} (pid ${pid} is gone)`;
    await writeAll(io.stdout, line + '\n');
  }
  if (!flags.values.json) {
    await writeAll(io.stderr, `waymark stats clean: ${removed} ${dry ? 'would be removed' : 'removed'}\n`);
  }
  return code;
}

const command: Command = {
  name: 'stats',
  summary: 'read mmstats files: slurp, poll, serve (/metrics, /v1/stats), clean',
  usage: USAGE,
  async run(args: string[], io: CliIO): Promise<number> {
    const [sub, ...rest] = args;
    if (sub === 'slurp') return slurp(rest, io);
    if (sub === 'poll') return pollStats(rest, io);
    if (sub === 'serve') return serveStats(rest, io);
    if (sub === 'clean') return clean(rest, io);
    throw new UsageError(
      sub === undefined
        ? 'waymark stats: missing subcommand; expected slurp, poll, serve or clean'
        : `waymark stats: unknown subcommand "${sub}"; expected slurp, poll, serve or clean`,
    );
  },
};
export default command;
