import { WaymarkError } from '../model/errors.js';
import type { HistogramSnapshot, HistogramSummary } from './histogram-snapshot.js';
import {
  readStatsDir,
  type ReadStatsDirOptions,
  type StatsDirSnapshot,
  type UnreadableFile,
} from './stats-dir.js';

/** How one field's values across files come to one number. */
export type Aggregation = 'sum' | 'avg' | 'min' | 'max' | 'nonzero-avg' | 'nonzero-min';

/** Every {@link Aggregation}, in the order the help texts list them. */
export const AGGREGATIONS: readonly Aggregation[] = [
  'sum',
  'avg',
  'min',
  'max',
  'nonzero-avg',
  'nonzero-min',
];

/** An aggregation name that is not one of {@link AGGREGATIONS}. */
export class AggregationError extends WaymarkError {
  override name = 'AggregationError';
}

/** Whether `name` is an {@link Aggregation}. */
export function isAggregation(name: string): name is Aggregation {
  return (AGGREGATIONS as readonly string[]).includes(name);
}

/** A numeric field across the files that have it. */
export interface NumberAggregate {
  kind: 'number';
  label: string;
  metric: 'counter' | 'gauge' | 'info';
  /** Files holding the field with a number. */
  files: number;
  sum: number;
  avg: number;
  min: number;
  max: number;
  /** The mean and least of the values that are not 0; null when all are 0. */
  nonzeroAvg: number | null;
  nonzeroMin: number | null;
}

/** A histogram field: the buckets of every file holding it, added. */
export interface HistogramAggregate {
  kind: 'histogram';
  label: string;
  metric: 'histogram';
  files: number;
  histogram: HistogramSnapshot;
}

export type FieldAggregate = NumberAggregate | HistogramAggregate;

/** A field left out of the aggregate, and why (e.g. a histogram in one file, a number in another). */
export interface SkippedAggregateField {
  file: string;
  label: string;
  reason: string;
}

/** The fields of every readable file of a stats directory, aggregated by label. */
export interface StatsAggregate {
  dir: string;
  /** The files read, by name. */
  files: string[];
  /** The files that could not be read, by name, with the reason: never silently dropped. */
  unreadable: UnreadableFile[];
  skipped: SkippedAggregateField[];
  /** By label, in the order first seen (files in name order). Strings and bools are left out. */
  fields: Map<string, FieldAggregate>;
}

export interface AggregateOptions extends ReadStatsDirOptions {
  /** Only labels starting with this. */
  prefix?: string;
}

interface Accumulator {
  label: string;
  metric: NumberAggregate['metric'];
  files: number;
  sum: number;
  min: number;
  max: number;
  nonzero: number;
  nonzeroSum: number;
  nonzeroMin: number;
}

/**
 * Aggregate read files by label: numbers to sum, avg, min, max and the
 * avg/min of the non-zero values; histograms merged (see
 * {@link HistogramSnapshot.merge}). Strings and bools are not aggregated.
 */
export function aggregateSnapshot(snapshot: StatsDirSnapshot, prefix = ''): StatsAggregate {
  const numbers = new Map<string, Accumulator>();
  const histograms = new Map<string, HistogramAggregate>();
  const order = new Map<string, 'number' | 'histogram'>();
  const skipped: SkippedAggregateField[] = [];
  for (const { file, fields, skipped: unknown } of snapshot.files) {
    for (const s of unknown) skipped.push({ file, label: s.label, reason: s.reason });
    for (const f of fields) {
      if (!f.label.startsWith(prefix)) continue;
      const kind = f.metric === 'histogram' ? 'histogram' : 'number';
      let value = 0;
      if (kind === 'number') {
        if (typeof f.value !== 'number' && typeof f.value !== 'bigint') continue;
        value = Number(f.value);
        if (Number.isNaN(value)) continue;
      }
      const seen = order.get(f.label);
      if (seen !== undefined && seen !== kind) {
        skipped.push({ file, label: f.label, reason: `a ${kind} here, a ${seen} in an earlier file` });
        continue;
      }
      order.set(f.label, kind);
      if (kind === 'histogram') {
        const h = f.value as HistogramSnapshot;
        const acc = histograms.get(f.label);
        if (acc === undefined) {
          histograms.set(f.label, { kind, label: f.label, metric: 'histogram', files: 1, histogram: h });
        } else {
          acc.files += 1;
          acc.histogram = acc.histogram.merge(h);
        }
        continue;
      }
      let acc = numbers.get(f.label);
      if (acc === undefined) {
        acc = {
          label: f.label,
          metric: f.metric === 'counter' || f.metric === 'gauge' ? f.metric : 'info',
          files: 0,
          sum: 0,
          min: Infinity,
          max: -Infinity,
          nonzero: 0,
          nonzeroSum: 0,
          nonzeroMin: Infinity,
        };
        numbers.set(f.label, acc);
      }
      acc.files += 1;
      acc.sum += value;
      if (value < acc.min) acc.min = value;
      if (value > acc.max) acc.max = value;
      if (value !== 0) {
        acc.nonzero += 1;
        acc.nonzeroSum += value;
        if (value < acc.nonzeroMin) acc.nonzeroMin = value;
      }
    }
  }
  const fields = new Map<string, FieldAggregate>();
  for (const [label, kind] of order) {
    if (kind === 'histogram') {
      fields.set(label, histograms.get(label) as HistogramAggregate);
      continue;
    }
    const a = numbers.get(label) as Accumulator;
    fields.set(label, {
      kind: 'number',
      label,
      metric: a.metric,
      files: a.files,
      sum: a.sum,
      avg: a.sum / a.files,
      min: a.min,
      max: a.max,
      nonzeroAvg: a.nonzero === 0 ? null : a.nonzeroSum / a.nonzero,
      nonzeroMin: a.nonzero === 0 ? null : a.nonzeroMin,
    });
  }
  return {
    dir: snapshot.dir,
    files: snapshot.files.map((f) => f.file),
    unreadable: snapshot.unreadable,
    skipped,
    fields,
  };
}

/**
 * Read the files of a stats directory and aggregate them by label.
 *
 * @example
 * const agg = aggregateStats({ dir: statsDir(), glob: 'waymark-*.mmstats', prefix: 'pipeline.' });
 * aggregateValue(agg.fields.get('pipeline.builds')!, 'sum');
 * for (const u of agg.unreadable) console.warn(u.file, u.reason);
 */
export function aggregateStats(options: AggregateOptions): StatsAggregate {
  return aggregateSnapshot(readStatsDir(options), options.prefix);
}

/**
 * One field's value under `agg`; a histogram's summary whatever `agg` is (its
 * buckets are always added). Null when the aggregation has no value (all 0
 * for the non-zero ones).
 */
export function aggregateValue(field: FieldAggregate, agg: Aggregation): number | null | HistogramSummary {
  if (field.kind === 'histogram') return field.histogram.summary();
  switch (agg) {
    case 'sum':
      return field.sum;
    case 'avg':
      return field.avg;
    case 'min':
      return field.min;
    case 'max':
      return field.max;
    case 'nonzero-avg':
      return field.nonzeroAvg;
    case 'nonzero-min':
      return field.nonzeroMin;
    default:
      throw new AggregationError(
        `unknown aggregation ${JSON.stringify(agg)}; expected one of ${AGGREGATIONS.join(', ')}`,
      );
  }
}
