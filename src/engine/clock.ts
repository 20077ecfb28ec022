import { Instant } from '../model/instant.js';

/**
 * The engine's notion of "now", which decides when streams fire and expire.
 * - `wall`: the system clock (live serving);
 * - `event`: the latest event timestamp seen, less an allowed lateness (replay
 *   and backtest), so history replayed in seconds expires streams exactly as it
 *   would have live. It never goes backwards.
 */
export interface EngineClock {
  readonly mode: 'wall' | 'event';
  now(): Instant;
  /** Tell the clock an event with this timestamp arrived (event clocks advance). */
  observe(timestamp: Instant): void;
  /** Event clocks: jump to `t` if later (end of input; `Infinity` µs expires everything). */
  advanceTo(t: Instant): void;
}

/** The system clock, or `now` for tests. */
export function wallClock(now: () => Instant = () => Instant.now()): EngineClock {
  return {
    mode: 'wall',
    now,
    observe() {},
    advanceTo() {},
  };
}

/**
 * Event time: `max(timestamp seen) - lateness`. Starts at `start` (e.g. the
 * latest stored timestamp less lateness, after a restart) or at the epoch.
 */
export function eventClock(latenessSeconds: number, start?: Instant): EngineClock {
  const latenessUs = Math.round(latenessSeconds * 1e6);
  let nowUs = start?.us ?? -Infinity;
  let cached: Instant | undefined = start;
  return {
    mode: 'event',
    now() {
      if (cached === undefined || cached.us !== nowUs) cached = new Instant(nowUs === -Infinity ? 0 : nowUs);
      return cached;
    },
    observe(timestamp) {
      const t = timestamp.us - latenessUs;
      if (t > nowUs) nowUs = t;
    },
    advanceTo(t) {
      if (t.us > nowUs) nowUs = t.us;
    },
  };
}
