/** Stats publishing through memory-mapped files (mmstats format v1). */
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
export { MMSTATS_VERSION, PAGE_SIZE } from './format.js';
export { MmapAddonError } from './native/mmap.js';
export { DEFAULT_FILES, statsDir, statsGlob } from './paths.js';
export { parseStats, readStatsFile, StatsFormatError, type StatsField } from './reader.js';
export { stats, type Stats, type StatsHandle, type StatsOptions } from './writer.js';
