import type { Instant } from '../model/instant.js';
import type { RangeUnit } from './calendar.js';

/**
 * A span of time `[begin, end)`: `begin` inclusive, `end` exclusive. Empty when
 * `end <= begin`.
 *
 * Ranges made by `hour`, `day`, `month` and `year` know their `unit` (so a
 * unit-less number on them means one step of the next-finer unit) and are
 * *pinned* to the timestamp they were made from: shifting them by less than
 * their unit slides them back over that timestamp (see the timex README).
 *
 * ```ts
 * const r = new TimeRange(Instant.parse('2014-08-01T00:00:00Z'), Instant.parse('2014-08-02T00:00:00Z'));
 * r.contains(Instant.parse('2014-08-01T23:59:59Z')); // true
 * String(r); // '[2014-08-01T00:00:00.000000Z, 2014-08-02T00:00:00.000000Z)'
 * ```
 */
export class TimeRange {
  readonly begin: Instant;
  readonly end: Instant;
  /** The calendar unit the range spans, when it came from `hour`/`day`/`month`/`year`. */
  readonly unit: RangeUnit | undefined;
  /** The timestamp the range stays over when shifted by less than its unit. */
  readonly pinnedTo: Instant | undefined;

  /**
   * @param unit what the range spans, when it is one calendar unit long
   * @param pinnedTo the timestamp a `unit` range stays over when shifted by less than its unit
   */
  constructor(begin: Instant, end: Instant, unit?: RangeUnit, pinnedTo?: Instant) {
    this.begin = begin;
    this.end = end;
    this.unit = unit;
    this.pinnedTo = pinnedTo;
  }

  /** Whether `t` is in the range: `begin <= t < end`. */
  contains(t: Instant): boolean {
    return t.us >= this.begin.us && t.us < this.end.us;
  }

  /** Same begin and end (the unit and pin are how it was made, not what it is). */
  equals(other: TimeRange): boolean {
    return this.begin.us === other.begin.us && this.end.us === other.end.us;
  }

  /** `{begin, end}` as ISO strings, plus `unit` and `pinned_to` when the range has them. */
  toJSON(): { begin: string; end: string; unit?: RangeUnit; pinned_to?: string } {
    const out: { begin: string; end: string; unit?: RangeUnit; pinned_to?: string } = {
      begin: this.begin.toISOString(),
      end: this.end.toISOString(),
    };
    if (this.unit !== undefined) out.unit = this.unit;
    if (this.pinnedTo !== undefined) out.pinned_to = this.pinnedTo.toISOString();
    return out;
  }

  /** `[2014-07-31T06:00:00.000000Z, 2014-08-01T06:00:00.000000Z)` */
  toString(): string {
    // Streams bucket events into the same few ranges (an audit period, a day), one range object per
    // event: the last text made is kept, which spares formatting two timestamps for most of them.
    const b = this.begin.us;
    const e = this.end.us;
    if (b !== lastText.begin || e !== lastText.end) {
      lastText = { begin: b, end: e, text: `[${this.begin.toISOString()}, ${this.end.toISOString()})` };
    }
    return lastText.text;
  }
}

let lastText = { begin: Number.NaN, end: Number.NaN, text: '' };
