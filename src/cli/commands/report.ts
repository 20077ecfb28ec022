import { resolve } from 'node:path';
import { loadPhaseSets } from '../../analysis/phase-definitions.js';
import type { PhaseSetJSON } from '../../analysis/phase-analyzer.js';
import type { PhaseReportRow } from '../../analysis/phase-report.js';
import type { EventReportRow } from '../../analysis/analysis-port.js';
import { Instant } from '../../model/instant.js';
import { CLIENT_FLAGS, connectApi, type ApiClient } from '../api-client.js';
import { parseFlags, UsageError, writeAll, type CliIO, type Command } from '../command.js';

const FLAGS = {
  ...CLIENT_FLAGS,
  phases: { type: 'string' },
  set: { type: 'string' },
  'group-by': { type: 'string', multiple: true },
  from: { type: 'string' },
  to: { type: 'string' },
  time: { type: 'string' },
  trait: { type: 'string', multiple: true },
  format: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const USAGE = `usage: waymark report phases (--set NAME | --phases FILE [--set NAME]) [--group-by TRAIT[,TRAIT]]
                             [--from T] [--to T] [--time emit|receive] [--trait NAME=[OP:]VALUE]...
                             [--format table|json|csv]
       waymark report events [--group-by TRAIT] [--from T] [--to T] [--time emit|receive]
                             [--trait NAME=[OP:]VALUE]... [--format table|json|csv]

Time-and-motion reports over the stored events, printed as they are computed.

  phases   per phase of a phase set (and per group): count, min, max, mean,
           population std dev, p50/p90/p99 of the durations in seconds, over
           the runs that started in [--from, --to) (on emit or receive times)
  events   per event type (and group): how many, and the transport delay
           (received - timestamp) in seconds

  --set NAME         a phase set of the configuration (waymark.yaml "phases:";
                     bundled: testrun, openstack_build)
  --phases FILE      a phases file of your own, read here; the store is opened
                     directly (not through a running server)
  --group-by T[,T]   run traits (phases: those the set keeps) or event traits (events)
  --trait N=[OP:]V   keep runs/events whose trait N compares so (OP: lt le eq ne
                     ge gt; default eq), e.g. --trait queue=nightly
  --time             which times the window and durations use (default emit)
  --format           table (default), json (a list of lines), csv
Also: --config FILE, --store URL, --server URL.`;

type Format = 'table' | 'json' | 'csv';

function num(v: number | null | undefined): string {
  if (v === null || v === undefined) return '-';
  return Number.isInteger(v) ? String(v) : v.toFixed(3);
}

function cellText(v: unknown): string {
  return v === null || v === undefined ? '-' : typeof v === 'string' ? v : JSON.stringify(v);
}

function csvCell(v: unknown): string {
  const s = v === null || v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Rows written as they come: the table's columns have fixed widths, so nothing waits for the last row. */
class RowWriter {
  private n = 0;
  constructor(
    private readonly io: CliIO,
    private readonly format: Format,
    private readonly header: readonly string[],
    private readonly widths: readonly number[],
  ) {}

  async start(): Promise<void> {
    if (this.format === 'json') await writeAll(this.io.stdout, '[');
    else if (this.format === 'csv') await writeAll(this.io.stdout, this.header.map(csvCell).join(',') + '\n');
    else
      await writeAll(
        this.io.stdout,
        this.line(this.header) + '\n' + this.widths.map((w) => '-'.repeat(w)).join('  ') + '\n',
      );
  }

  private line(cells: readonly string[]): string {
    return cells
      .map((c, i) =>
        i < this.widths.length - 8 ? c.padEnd(this.widths[i] ?? 0) : c.padStart(this.widths[i] ?? 0),
      )
      .join('  ')
      .trimEnd();
  }

  async row(json: unknown, cells: readonly string[], csv: readonly unknown[]): Promise<void> {
    const out =
      this.format === 'json'
        ? (this.n === 0 ? '\n' : ',\n') + JSON.stringify(json)
        : this.format === 'csv'
          ? csv.map(csvCell).join(',') + '\n'
          : this.line(cells) + '\n';
    this.n++;
    await writeAll(this.io.stdout, out);
  }

  async end(): Promise<void> {
    if (this.format === 'json') await writeAll(this.io.stdout, this.n === 0 ? ']\n' : '\n]\n');
  }
}

const STAT_HEADER = ['count', 'min', 'max', 'mean', 'stddev', 'p50', 'p90', 'p99'];

function query(values: {
  from?: string;
  to?: string;
  time?: string;
  trait?: string[];
  'group-by'?: string[];
}): URLSearchParams {
  const p = new URLSearchParams();
  for (const flag of ['from', 'to'] as const) {
    const v = values[flag];
    if (v === undefined) continue;
    if (Instant.tryParse(v) === undefined) {
      throw new UsageError(
        `waymark report: --${flag} expects a timestamp such as 2026-01-01T00:00:00Z, got "${v}"`,
      );
    }
    p.set(flag, v);
  }
  if (values.time !== undefined) {
    if (values.time !== 'emit' && values.time !== 'receive') {
      throw new UsageError(`waymark report: --time must be "emit" or "receive", got "${values.time}"`);
    }
    p.set('time', values.time);
  }
  const groupBy = (values['group-by'] ?? []).flatMap((g) => g.split(',')).map((g) => g.trim());
  if (groupBy.some((g) => g === ''))
    throw new UsageError('waymark report: --group-by expects trait names, got an empty one');
  if (groupBy.length > 0) p.set('group_by', groupBy.join(','));
  for (const t of values.trait ?? []) {
    const eq = t.indexOf('=');
    if (eq <= 0 || eq === t.length - 1) {
      throw new UsageError(
        `waymark report: --trait expects NAME=[OP:]VALUE (e.g. queue=nightly, worker=ge:3), got "${t}"`,
      );
    }
    p.append(`traits.${t.slice(0, eq)}`, t.slice(eq + 1));
  }
  return p;
}

function format(v: string | undefined): Format {
  if (v === undefined) return 'table';
  if (v === 'table' || v === 'json' || v === 'csv') return v;
  throw new UsageError(`waymark report: --format must be table, json or csv, got "${v}"`);
}

async function phases(
  api: ApiClient,
  io: CliIO,
  set: string,
  params: URLSearchParams,
  fmt: Format,
): Promise<void> {
  const { phase_sets: sets } = (await api.request('GET', '/v1/phases')) as { phase_sets: PhaseSetJSON[] };
  const def = sets.find((s) => s.name === set);
  const groupBy = params.get('group_by')?.split(',') ?? [];
  params.set('set', set);
  params.set('histogram', '0');
  const phaseWidth = Math.max(5, ...(def?.phases ?? []).map((p) => p.name.length));
  const header = ['phase', ...groupBy, ...STAT_HEADER];
  const widths = [
    phaseWidth,
    ...groupBy.map((g) => Math.max(g.length, 14)),
    7,
    ...STAT_HEADER.slice(1).map(() => 10),
  ];
  const out = new RowWriter(io, fmt, header, widths);
  let started = false;
  for await (const value of api.lines(`/v1/reports/phases?${params.toString()}`)) {
    const line = value as PhaseReportRow & { done?: boolean; error?: string };
    if (line.error !== undefined) throw new Error(`the report failed: ${line.error}`);
    if (!started) {
      await out.start();
      started = true;
    }
    if (line.done === true) break;
    const stats = [line.count, line.min, line.max, line.mean, line.stddev, line.p50, line.p90, line.p99];
    const groups = groupBy.map((g) => line.group[g]);
    const { histogram: _h, ...json } = line;
    await out.row(
      json,
      [line.phase, ...groups.map(cellText), ...stats.map(num)],
      [line.phase, ...groups, ...stats],
    );
  }
  if (!started) await out.start();
  await out.end();
}

async function events(api: ApiClient, io: CliIO, params: URLSearchParams, fmt: Format): Promise<void> {
  const groupBy = params.get('group_by')?.split(',') ?? [];
  const header = [
    'event_type',
    ...groupBy,
    'count',
    'delay_min',
    'delay_max',
    'delay_mean',
    'delay_stddev',
    'delay_p50',
    'delay_p90',
    'delay_p99',
  ];
  const widths = [28, ...groupBy.map((g) => Math.max(g.length, 14)), 8, 12, 12, 12, 12, 12, 12, 12];
  const out = new RowWriter(io, fmt, header, widths);
  await out.start();
  for await (const value of api.lines(`/v1/reports/events?${params.toString()}`)) {
    const line = value as EventReportRow & { done?: boolean; error?: string };
    if (line.error !== undefined) throw new Error(`the report failed: ${line.error}`);
    if (line.done === true) break;
    const d = line.delay;
    const stats = [line.count, d.min, d.max, d.mean, d.stddev, d.p50, d.p90, d.p99];
    const groups = groupBy.map((g) => line.group[g]);
    await out.row(
      line,
      [line.event_type, ...groups.map(cellText), ...stats.map(num)],
      [line.event_type, ...groups, ...stats],
    );
  }
  await out.end();
}

const command: Command = {
  name: 'report',
  summary: 'time-and-motion reports: phase statistics of runs, event counts and delays (server or store)',
  usage: USAGE,
  async run(args, io) {
    const { values, positionals } = parseFlags('report', args, FLAGS, { min: 1, max: 1 });
    const what = positionals[0];
    if (what !== 'phases' && what !== 'events') {
      throw new UsageError(`waymark report: expected "phases" or "events", got "${what ?? ''}"`);
    }
    const fmt = format(values.format);
    const params = query(values);
    let set = values.set;
    let phaseFiles: string[] | undefined;
    if (what === 'events' && (values.set !== undefined || values.phases !== undefined)) {
      throw new UsageError('waymark report events: --set and --phases are for "report phases"');
    }
    if (what === 'phases') {
      if (values.phases !== undefined) {
        if (values.server !== undefined) {
          throw new UsageError(
            'waymark report phases: --phases FILE reads the store directly; drop --server, or name the file in the server\'s waymark.yaml "phases:" and use --set',
          );
        }
        phaseFiles = [resolve(io.cwd, values.phases)];
        const sets = loadPhaseSets(phaseFiles);
        if (set === undefined) {
          if (sets.length !== 1) {
            throw new UsageError(
              `waymark report phases: ${values.phases} has ${sets.length} phase sets (${sets.map((s) => s.name).join(', ')}); choose one with --set`,
            );
          }
          set = (sets[0] as { name: string }).name;
        }
      } else if (set === undefined) {
        throw new UsageError(
          'waymark report phases: name a phase set with --set NAME (e.g. testrun), or a file with --phases FILE',
        );
      }
    }
    const api = await connectApi(values, io, phaseFiles === undefined ? {} : { phaseFiles, direct: true });
    try {
      if (what === 'phases') await phases(api, io, set as string, params, fmt);
      else await events(api, io, params, fmt);
      return 0;
    } finally {
      await api.close();
    }
  },
};

export default command;
