import { aggregateValue, type Aggregation, type StatsAggregate } from './aggregate.js';
import type { HistogramSnapshot } from './histogram-snapshot.js';

/** The Content-Type of {@link prometheusText}'s output. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export interface PrometheusOptions {
  /** Prepended with `_` to every field's name (default none: labels usually carry their app's prefix). */
  namespace?: string;
  /** How gauges of several files combine (default `avg`: meaningful for averages and levels alike). */
  gauge?: Aggregation;
}

/** Waymark's own series, about the files themselves. */
const FILES_READ = 'waymark_stats_files';
const FILES_UNREADABLE = 'waymark_stats_unreadable_files';

/**
 * A Prometheus metric name for a stats label: every character outside
 * `[A-Za-z0-9_]` becomes `_` (`web.stats.status.2XX` → `web_stats_status_2XX`),
 * a leading digit gets a `_` in front.
 */
export function prometheusName(label: string, namespace = ''): string {
  const name = (namespace === '' ? '' : `${namespace}_`) + label.replace(/[^A-Za-z0-9_]/g, '_');
  return /^[0-9]/.test(name) ? `_${name}` : name;
}

/** A sample value as the text format spells it. */
function num(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

function help(text: string): string {
  return text
    .replace(/\\/g, '\\\\')
    .replace(/\n/g, '\\n')
    .replace(/\p{Cc}/gu, '?');
}

/** A `#` comment on one line. */
function comment(text: string): string {
  return `# ${text.replace(/\p{Cc}/gu, '?')}`;
}

/**
 * The histogram's cumulative `le` buckets: one per power of two of its layout,
 * `2^eMin` to `2^(eMax+1)`, then `+Inf`. Every bound is a bucket edge, so the
 * counts are exact (values `<= le`).
 */
function histogramLines(name: string, h: HistogramSnapshot): string[] {
  const { eMin, eMax, subBuckets } = h.layout;
  const lines: string[] = [];
  let cumulative = h.counts[0] ?? 0;
  lines.push(`${name}_bucket{le="${num(2 ** eMin)}"} ${num(cumulative)}`);
  for (let e = eMin; e <= eMax; e++) {
    const first = 1 + (e - eMin) * subBuckets;
    for (let i = first; i < first + subBuckets; i++) cumulative += h.counts[i] ?? 0;
    lines.push(`${name}_bucket{le="${num(2 ** (e + 1))}"} ${num(cumulative)}`);
  }
  cumulative += h.counts[h.counts.length - 1] ?? 0;
  lines.push(
    `${name}_bucket{le="+Inf"} ${num(cumulative)}`,
    `${name}_sum ${num(h.sum)}`,
    `${name}_count ${num(cumulative)}`,
  );
  return lines;
}

/**
 * The Prometheus text exposition (format 0.0.4) of an aggregate: counters as
 * `counter` (`_total` suffix) summed over files, gauges as `gauge` (combined by
 * `options.gauge`, default `avg`), histograms as `histogram` with cumulative
 * `_bucket{le}` at every power of two of their range, `_sum` and `_count`.
 * Info fields (strings, bools, static values such as `sys.pid`) are left out.
 * Unreadable files are listed in `#` comments and counted in
 * `waymark_stats_unreadable_files`; `waymark_stats_files` counts those read.
 * Two labels that sanitise to one name: the first wins, the other is a comment.
 *
 * @example
 * res.setHeader('Content-Type', PROMETHEUS_CONTENT_TYPE);
 * res.end(prometheusText(aggregateStats({ dir: statsDir() })));
 */
export function prometheusText(aggregate: StatsAggregate, options: PrometheusOptions = {}): string {
  const gauge = options.gauge ?? 'avg';
  const out: string[] = [];
  const taken = new Map<string, string>([
    [FILES_READ, '(waymark)'],
    [FILES_UNREADABLE, '(waymark)'],
  ]);
  const claim = (names: string[], label: string): boolean => {
    const clash = names.find((n) => taken.has(n));
    if (clash !== undefined) {
      out.push(
        comment(
          `skipped field ${JSON.stringify(label)}: its name ${clash} is taken by ${JSON.stringify(taken.get(clash))}`,
        ),
      );
      return false;
    }
    for (const n of names) taken.set(n, label);
    return true;
  };
  for (const f of aggregate.fields.values()) {
    if (f.metric === 'info') continue;
    const base = prometheusName(f.label, options.namespace);
    const files = `${f.files} file${f.files === 1 ? '' : 's'}`;
    if (f.kind === 'histogram') {
      if (!claim([base, `${base}_bucket`, `${base}_sum`, `${base}_count`], f.label)) continue;
      out.push(
        `# HELP ${base} ${help(`mmstats histogram ${f.label}, merged over ${files}`)}`,
        `# TYPE ${base} histogram`,
      );
      out.push(...histogramLines(base, f.histogram));
    } else if (f.metric === 'counter') {
      const name = base.endsWith('_total') ? base : `${base}_total`;
      if (!claim([name], f.label)) continue;
      out.push(
        `# HELP ${name} ${help(`mmstats counter ${f.label}, sum over ${files}`)}`,
        `# TYPE ${name} counter`,
      );
      out.push(`${name} ${num(f.sum)}`);
    } else {
      const value = aggregateValue(f, gauge);
      if (!claim([base], f.label)) continue;
      out.push(
        `# HELP ${base} ${help(`mmstats gauge ${f.label}, ${gauge} over ${files}`)}`,
        `# TYPE ${base} gauge`,
      );
      out.push(`${base} ${typeof value === 'number' ? num(value) : 'NaN'}`);
    }
  }
  for (const u of aggregate.unreadable) out.push(comment(`unreadable stats file ${u.file}: ${u.reason}`));
  for (const s of aggregate.skipped)
    out.push(comment(`skipped field ${JSON.stringify(s.label)} of ${s.file}: ${s.reason}`));
  out.push(
    `# HELP ${FILES_UNREADABLE} Stats files that could not be read (names and reasons in the comments above).`,
    `# TYPE ${FILES_UNREADABLE} gauge`,
    `${FILES_UNREADABLE} ${aggregate.unreadable.length}`,
    `# HELP ${FILES_READ} Stats files read.`,
    `# TYPE ${FILES_READ} gauge`,
    `${FILES_READ} ${aggregate.files.length}`,
  );
  return out.join('\n') + '\n';
}
