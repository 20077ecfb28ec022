/**
 * One meter sample or counter increment a pipeline run staged through
 * `context.meters`; applied (to a {@link MeterRegistry}) only when the whole
 * run commits.
 *
 * - `kind: 'sample'`: one observation of the meter (`value` in the meter's unit, seconds for durations).
 * - `kind: 'count'`: add `value` to the counter.
 */
export interface StagedSample {
  readonly meter: string;
  readonly kind: 'sample' | 'count';
  readonly value: number;
}
