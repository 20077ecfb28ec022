import { setTimeout as sleep } from 'node:timers/promises';
import { AGGREGATIONS, isAggregation, type Aggregation } from '../../stats/aggregate.js';
import { HistogramSnapshot } from '../../stats/histogram-snapshot.js';
import { readStatsDir, type StatsDirSnapshot } from '../../stats/stats-dir.js';
import { durationFlag, intFlag, parseFlags, UsageError, writeAll, type CliIO } from '../command.js';
import { statsLocation } from './stats-location.js';

/** A header line every this many lines, as vmstat. */
const HEADER_EVERY = 20;
const HISTOGRAM_STATS = ['p50', 'p90', 'p99', 'count', 'sum', 'mean', 'min', 'max'] as const;
type HistogramStat = (typeof HISTOGRAM_STATS)[number];

interface Column {
  /** As given on the command line, e.g. `hits` or `build_seconds:p99`. */
  name: string;
  label: string;
  /** For a histogram: which number to show (default p50). */
  stat?: HistogramStat;
}

/** One field of one file at one sample: a number, or a histogram. */
type Sampled = number | HistogramSnapshot;

interface Sample {
  at: number;
  snapshot: StatsDirSnapshot;
  /** file -> label -> value, for per-file counter deltas. */
  byFile: Map<string, Map<string, { metric: string; value: Sampled }>>;
}

function parseColumns(prefix: string, spec: string): Column[] {
  const joined = prefix === '' || prefix.endsWith('.') ? prefix : `${prefix}.`;
  const names = spec.split(',').map((s) => s.trim());
  if (names.some((n) => n === '')) {
    throw new UsageError(`waymark stats poll: empty field name in "${spec}"; expected FIELD,FIELD`);
  }
  return names.map((name) => {
    const m = /^(.*):([a-z0-9]+)$/.exec(name);
    const stat = m?.[2];
    if (m !== null && stat !== undefined && (HISTOGRAM_STATS as readonly string[]).includes(stat)) {
      return { name, label: joined + (m[1] ?? ''), stat: stat as HistogramStat };
    }
    return { name, label: joined + name };
  });
}

function take(dir: string, glob: string): Sample {
  const snapshot = readStatsDir({ dir, glob });
  const byFile: Sample['byFile'] = new Map();
  for (const f of snapshot.files) {
    const fields = new Map<string, { metric: string; value: Sampled }>();
    for (const field of f.fields) {
      const v = field.value;
      if (v instanceof HistogramSnapshot) fields.set(field.label, { metric: 'histogram', value: v });
      else if (typeof v === 'number' || typeof v === 'bigint') {
        fields.set(field.label, { metric: field.metric, value: Number(v) });
      }
    }
    byFile.set(f.file, fields);
  }
  return { at: performance.now(), snapshot, byFile };
}

/** sum, avg, min, max, nonzero-avg, nonzero-min of some numbers; null when there are none. */
function combine(values: number[], agg: Aggregation): number | null {
  const xs = agg.startsWith('nonzero-') ? values.filter((v) => v !== 0) : values;
  if (xs.length === 0) return agg === 'sum' && values.length > 0 ? 0 : null;
  const sum = xs.reduce((a, b) => a + b, 0);
  if (agg === 'sum') return sum;
  if (agg === 'avg' || agg === 'nonzero-avg') return sum / xs.length;
  if (agg === 'max') return Math.max(...xs);
  return Math.min(...xs);
}

function histogramStat(h: HistogramSnapshot, stat: HistogramStat): number | null {
  const s = h.summary();
  if (stat === 'mean') return s.count === 0 ? null : s.sum / s.count;
  return s[stat];
}

/** A column's value: counters (and histogram counts) as a rate per second from per-file deltas. */
function value(col: Column, prev: Sample, cur: Sample, agg: Aggregation): number | null {
  const seconds = (cur.at - prev.at) / 1000;
  const values: number[] = [];
  let merged: HistogramSnapshot | undefined;
  for (const [file, fields] of cur.byFile) {
    const f = fields.get(col.label);
    if (f === undefined) continue;
    const before = prev.byFile.get(file)?.get(col.label)?.value;
    if (f.value instanceof HistogramSnapshot) {
      if (col.stat === 'count') {
        const was = before instanceof HistogramSnapshot ? before.count : 0;
        values.push(rate(f.value.count, was, seconds));
      } else merged = merged === undefined ? f.value : merged.merge(f.value);
    } else if (f.metric === 'counter') {
      values.push(rate(f.value, typeof before === 'number' ? before : 0, seconds));
    } else values.push(f.value);
  }
  if (merged !== undefined) return histogramStat(merged, col.stat ?? 'p50');
  return combine(values, agg);
}

/** Per second; a counter that went down was restarted: all of it is new. */
function rate(now: number, before: number, seconds: number): number {
  return (now >= before ? now - before : now) / seconds;
}

function fmt(v: number | null): string {
  if (v === null || !Number.isFinite(v)) return '-';
  if (Number.isInteger(v)) return String(v);
  return String(Number(v.toPrecision(Math.abs(v) >= 1e6 ? 10 : 4)));
}

/**
 * `waymark stats poll [-p PREFIX] FIELD,FIELD [--interval 1s] [--count N] [--agg sum] [--json]`:
 * one line per interval, counters as rates per second, aggregated across files.
 */
export async function pollStats(args: string[], io: CliIO): Promise<number> {
  const flags = parseFlags(
    'stats poll',
    args,
    {
      prefix: { type: 'string', short: 'p' },
      interval: { type: 'string', short: 'i' },
      count: { type: 'string', short: 'c' },
      agg: { type: 'string' },
      dir: { type: 'string' },
      glob: { type: 'string' },
      json: { type: 'boolean' },
    },
    { min: 1, max: 1 },
  );
  const v = flags.values;
  const columns = parseColumns(v.prefix ?? '', flags.positionals[0] ?? '');
  const intervalMs =
    v.interval === undefined ? 1000 : durationFlag('stats poll', 'interval', v.interval) / 1000;
  const count = v.count === undefined ? Infinity : intFlag('stats poll', 'count', v.count);
  const agg = v.agg ?? 'sum';
  if (!isAggregation(agg)) {
    throw new UsageError(`waymark stats poll: --agg expects one of ${AGGREGATIONS.join(', ')}, got "${agg}"`);
  }
  const { dir, glob } = statsLocation('stats poll', io, v);
  const widths = columns.map((c) => Math.max(10, c.name.length));
  const header = columns.map((c, i) => c.name.padStart(widths[i] ?? 10)).join(' ');
  const reported = new Set<string>();
  const abort = new AbortController();
  const stop = (): void => abort.abort();
  process.once('SIGINT', stop);
  try {
    let prev = take(dir, glob);
    for (let n = 0; n < count && !abort.signal.aborted; n++) {
      try {
        await sleep(intervalMs, undefined, { signal: abort.signal });
      } catch {
        break; // interrupted
      }
      const cur = take(dir, glob);
      for (const u of cur.snapshot.unreadable) {
        if (reported.has(u.file)) continue;
        reported.add(u.file);
        await writeAll(io.stderr, `waymark stats poll: ${u.file}: ${u.reason}\n`);
      }
      const values = columns.map((c) => value(c, prev, cur, agg));
      if (v.json === true) {
        const line = {
          time: new Date().toISOString(),
          elapsed_s: (cur.at - prev.at) / 1000,
          files: cur.snapshot.files.length,
          unreadable: cur.snapshot.unreadable.length,
          values: Object.fromEntries(columns.map((c, i) => [c.name, finiteOrNull(values[i] ?? null)])),
        };
        await writeAll(io.stdout, JSON.stringify(line) + '\n');
      } else {
        const row = values.map((x, i) => fmt(x).padStart(widths[i] ?? 10)).join(' ');
        await writeAll(io.stdout, (n % HEADER_EVERY === 0 ? header + '\n' : '') + row + '\n');
      }
      prev = cur;
    }
  } finally {
    process.off('SIGINT', stop);
  }
  return 0;
}

function finiteOrNull(v: number | null): number | null {
  return v !== null && Number.isFinite(v) ? v : null;
}
