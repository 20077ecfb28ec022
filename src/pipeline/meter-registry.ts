import type { MeterJSON } from '../server/backend.js';
import { PipelineError } from './pipeline-error.js';
import { describeSorted } from './sample-stats.js';
import type { StagedSample } from './staged-sample.js';

/** A batch that would use one name both as a meter and as a counter, or carries a bad value. */
export class MeterRegistryError extends PipelineError {
  override name = 'MeterRegistryError';
}

export interface MeterRegistryOptions {
  /** Called after each {@link MeterRegistry.apply} that changed something, with the changed names (sorted). */
  onChange?: (names: readonly string[]) => void;
}

/** Every sample of one meter, in arrival order; sorted lazily, cached until the next sample. */
class Series {
  private values = new Float64Array(16);
  private n = 0;
  private json: MeterJSON | undefined;

  constructor(readonly name: string) {}

  add(v: number): void {
    if (this.n === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.n++] = v;
    this.json = undefined;
  }

  toJSON(): MeterJSON {
    if (this.json === undefined) {
      const s = describeSorted(this.values.slice(0, this.n).sort());
      this.json =
        s === undefined
          ? { ...EMPTY_STATS, name: this.name, type: 'meter', count: 0 }
          : { name: this.name, type: 'meter', ...s };
    }
    return this.json;
  }
}

const EMPTY_STATS = { min: null, max: null, mean: null, stddev: null, p50: null, p90: null, p99: null };

/**
 * The meters and counters pipelines feed (the `meter` and `count` handlers,
 * user handlers through `context.meters`). A meter keeps **all** its samples
 * and reports count, min, max, mean, population std dev and p50/p90/p99 as
 * {@link describeSorted} defines them (type-7 percentiles: `h = (n-1)·p`,
 * `x[⌊h⌋] + (h-⌊h⌋)·(x[⌊h⌋+1] - x[⌊h⌋])`; mean = sum of the sorted samples / n),
 * so the analysis module can reproduce every figure exactly. A counter's
 * `count` is the sum of its increments; its statistics are `null`.
 *
 * A name is a meter or a counter for the registry's whole life; a batch that
 * mixes them up is refused whole (nothing applied).
 *
 * ```ts
 * const meters = new MeterRegistry();
 * const result = await runPipeline(definition, events, options);
 * if (result.status === 'committed') meters.apply(result.samples);
 * meters.get('build_seconds'); // { name: 'build_seconds', type: 'meter', count: 1, min: 52.3, … }
 * ```
 */
export class MeterRegistry {
  private readonly meters = new Map<string, Series>();
  private readonly counters = new Map<string, number>();
  private readonly onChange: ((names: readonly string[]) => void) | undefined;

  constructor(options: MeterRegistryOptions = {}) {
    this.onChange = options.onChange;
  }

  /** Apply a committed run's samples, all or none; throws {@link MeterRegistryError} on a bad batch. */
  apply(samples: readonly StagedSample[]): void {
    const kinds = new Map<string, 'sample' | 'count'>();
    for (const s of samples) {
      if (typeof s.meter !== 'string' || s.meter === '') {
        throw new MeterRegistryError(`a sample needs a meter name, got ${JSON.stringify(s.meter)}`);
      }
      if (typeof s.value !== 'number' || !Number.isFinite(s.value)) {
        throw new MeterRegistryError(`"${s.meter}": a value must be a finite number, got ${String(s.value)}`);
      }
      if (s.kind !== 'sample' && s.kind !== 'count') {
        throw new MeterRegistryError(`"${s.meter}": kind must be "sample" or "count", got ${String(s.kind)}`);
      }
      const known = this.meters.has(s.meter)
        ? 'sample'
        : this.counters.has(s.meter)
          ? 'count'
          : kinds.get(s.meter);
      if (known !== undefined && known !== s.kind) {
        const [was, now] = known === 'sample' ? ['a meter', 'a counter'] : ['a counter', 'a meter'];
        throw new MeterRegistryError(
          `"${s.meter}" is ${was} and cannot also be ${now}; give the meter and the counter different names`,
        );
      }
      kinds.set(s.meter, s.kind);
    }
    for (const s of samples) {
      if (s.kind === 'sample') {
        let series = this.meters.get(s.meter);
        if (series === undefined) {
          series = new Series(s.meter);
          this.meters.set(s.meter, series);
        }
        series.add(s.value);
      } else {
        this.counters.set(s.meter, (this.counters.get(s.meter) ?? 0) + s.value);
      }
    }
    if (this.onChange !== undefined && kinds.size > 0) this.onChange([...kinds.keys()].sort());
  }

  /** One meter or counter as JSON, or `undefined` when nothing was recorded under that name. */
  get(name: string): MeterJSON | undefined {
    const series = this.meters.get(name);
    if (series !== undefined) return series.toJSON();
    const count = this.counters.get(name);
    if (count === undefined) return undefined;
    return { name, type: 'counter', count, ...EMPTY_STATS };
  }

  /** Every name, sorted (code-unit order). */
  names(): string[] {
    return [...this.meters.keys(), ...this.counters.keys()].sort();
  }

  /** Every meter and counter as JSON, sorted by name. */
  snapshot(): MeterJSON[] {
    return this.names().map((n) => this.get(n) as MeterJSON);
  }
}
