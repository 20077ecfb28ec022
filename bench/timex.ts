/**
 * timex: how fast expressions compile and evaluate.
 * Baselines, same run: `Date.parse` of an ISO timestamp (a comparable small-string
 * parse) for compiling; a hand-written closure computing the same result (the
 * ceiling) for evaluating.
 */
import { Instant, US_PER_DAY, US_PER_HOUR } from '../src/model/instant.js';
import { parseTimex, TimeRange, type TimexVariables } from '../src/timex/index.js';
import { opsPerSecond, type BenchFigure, type BenchSuite } from './lib.js';

const PARSE_TARGET = 100_000;
const EVAL_TARGET = 2_000_000;
const N = 10_000;

const t0 = Instant.parse('2014-08-01T01:00:00Z').us;
/** Distinct variable sets so nothing is constant-folded. */
const VARS: TimexVariables[] = Array.from({ length: 1024 }, (_, i) => {
  const t = new Instant(t0 + i * 3_600_000_123);
  return { last: t, timestamp: t, audit_period_beginning: t };
});

const HAND: Record<string, (v: TimexVariables) => Instant | TimeRange | undefined> = {
  '$last + 1h': (v) => {
    const t = v['last'];
    return t === undefined ? undefined : new Instant(t.us + US_PER_HOUR);
  },
  day: (v) => {
    const t = v['timestamp'] ?? Instant.now();
    const b = Math.floor(t.us / US_PER_DAY) * US_PER_DAY;
    return new TimeRange(new Instant(b), new Instant(b + US_PER_DAY), 'day', t);
  },
  '$audit_period_beginning + 1d': (v) => {
    const t = v['audit_period_beginning'];
    return t === undefined ? undefined : new Instant(t.us + US_PER_DAY);
  },
};

const suite: BenchSuite = {
  title: 'timex',
  run() {
    const figures: BenchFigure[] = [];
    const iso = '2014-08-01T01:00:00.123Z';
    const dateParse = opsPerSecond(N, () => {
      let s = 0;
      for (let i = 0; i < N; i++) s += Date.parse(iso);
      return s;
    });
    for (const source of Object.keys(HAND)) {
      const parses = opsPerSecond(N, () => {
        let n = 0;
        for (let i = 0; i < N; i++) n += parseTimex(source).variables.length;
        return n;
      });
      figures.push({
        name: `compile \`${source}\``,
        value: parses,
        unit: 'parses/s',
        baseline: { name: `Date.parse("${iso}")`, value: dateParse },
        target: `>= ${PARSE_TARGET.toLocaleString('en-US')}/s`,
        met: parses >= PARSE_TARGET,
      });
    }
    for (const [source, hand] of Object.entries(HAND)) {
      const expr = parseTimex(source);
      const evaluate = (f: (v: TimexVariables) => unknown): number =>
        opsPerSecond(N, () => {
          // Read the result so the work cannot be skipped.
          let n = 0;
          for (let i = 0; i < N; i++) {
            const r = f(VARS[i & 1023] as TimexVariables);
            if (r instanceof Instant) n += r.us;
            else if (r instanceof TimeRange) n += r.end.us - r.begin.us;
          }
          return n;
        });
      const compiled = evaluate((v) => expr.evaluate(v));
      const ceiling = evaluate(hand);
      figures.push({
        name: `evaluate \`${source}\``,
        value: compiled,
        unit: 'evaluations/s',
        baseline: { name: 'hand-written closure', value: ceiling },
        target: `>= ${EVAL_TARGET.toLocaleString('en-US')}/s`,
        met: compiled >= EVAL_TARGET,
      });
    }
    return Promise.resolve(figures);
  },
};
export default suite;
