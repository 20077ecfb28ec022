/** Stats publishing through memory-mapped files (mmstats format v1, and waymark's v2 with histograms). */
export {
  average,
  bool,
  counter,
  double,
  float,
  int,
  int64,
  movingAverage,
  staticField,
  string,
  timer,
  uint,
  uint64,
  Average,
  Counter,
  Flag,
  Gauge,
  MovingAverage,
  Static,
  Text,
  Timer,
  type FieldSpec,
  type StaticType,
} from './fields.js';
export { histogram, Histogram } from './histogram.js';
export { HistogramLayout, type HistogramOptions } from './histogram-layout.js';
export { HistogramSnapshot, type HistogramSummary } from './histogram-snapshot.js';
export { MMSTATS_VERSION, MMSTATS_VERSION_2, PAGE_SIZE, type MetricType } from './format.js';
export { ADDON_ENV, MmapAddonError } from './native/mmap.js';
export { DEFAULT_FILES, statsDir, statsGlob } from './paths.js';
export {
  parseStats,
  parseStatsFile,
  readStatsFile,
  StatsFormatError,
  type ParsedStats,
  type SkippedField,
  type StatsField,
} from './reader.js';
export {
  checkGlob,
  DEFAULT_GLOB,
  readStatsDir,
  StatsGlobError,
  type ReadStatsDirOptions,
  type StatsDirSnapshot,
  type StatsFileSnapshot,
  type UnreadableFile,
} from './stats-dir.js';
export {
  aggregateSnapshot,
  aggregateStats,
  aggregateValue,
  AGGREGATIONS,
  AggregationError,
  isAggregation,
  type AggregateOptions,
  type Aggregation,
  type FieldAggregate,
  type HistogramAggregate,
  type NumberAggregate,
  type SkippedAggregateField,
  type StatsAggregate,
} from './aggregate.js';
export {
  PROMETHEUS_CONTENT_TYPE,
  prometheusName,
  prometheusText,
  type PrometheusOptions,
} from './prometheus.js';
export {
  statsRequestHandler,
  type StatsRequestHandler,
  type StatsRequestHandlerOptions,
} from './http-handler.js';
export { stats, type Stats, type StatsHandle, type StatsOptions } from './writer.js';
