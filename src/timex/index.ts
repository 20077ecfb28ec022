/**
 * The timex time-expression language: small, safe expressions in trigger
 * configs that compute a timestamp (`$last + 1h`) or a time range
 * (`day($audit_period_beginning)`). See src/timex/README.md for the semantics.
 */
import { Instant } from '../model/instant.js';
import type { RangeUnit } from './calendar.js';
import { Compiler, type TimexVariables } from './compile.js';
import { parse } from './parser.js';
import { TimeRange } from './time-range.js';
import { TimexSyntaxError } from './errors.js';

export { TimeRange, TimexSyntaxError };
export type { RangeUnit, TimexVariables };

/** A compiled time expression: parse once, evaluate many times. */
export interface TimexExpression {
  /** The expression as written. */
  readonly source: string;
  /**
   * Variables the expression reads, without `$`, in order of first use.
   * Includes `timestamp` when a bare `hour`/`day`/`month`/`year` reads it implicitly.
   */
  readonly variables: readonly string[];
  /**
   * What {@link TimexExpression.evaluate} returns when every variable is given.
   * Always known at compile time in this implementation; `'unknown'` is reserved.
   */
  readonly resultKind: 'timestamp' | 'range' | 'unknown';
  /**
   * Evaluate against variable values (keyed without `$`). A variable missing
   * from `vars` makes the result `undefined` — "no match", never an error.
   * `$timestamp` defaults to `now`, which defaults to `Instant.now()`.
   *
   * ```ts
   * parseTimex('$last + 1h').evaluate({ last: Instant.parse('2014-08-01T06:00:00Z') });
   * // Instant 2014-08-01T07:00:00.000000Z
   * ```
   */
  evaluate(vars: TimexVariables, now?: Instant): Instant | TimeRange | undefined;
}

class CompiledTimex implements TimexExpression {
  constructor(
    readonly source: string,
    readonly variables: readonly string[],
    readonly resultKind: 'timestamp' | 'range',
    readonly evaluate: (vars: TimexVariables, now?: Instant) => Instant | TimeRange | undefined,
  ) {}

  toString(): string {
    return this.source;
  }
}

/**
 * Compile a time expression once; throws {@link TimexSyntaxError} (with the
 * 1-based column and what was expected) when it is not valid. Every check —
 * syntax, units, unit-less numbers on timestamps, ranges used as timestamps —
 * happens here, so evaluation never throws.
 *
 * ```ts
 * const expire = parseTimex('$last + 1h', { label: 'expiration' });
 * expire.resultKind; // 'timestamp'
 * expire.variables;  // ['last']
 *
 * const window = parseTimex('day($start) + 6h');
 * String(window.evaluate({ start: Instant.parse('2014-08-01T01:00:00Z') }));
 * // '[2014-07-31T06:00:00.000000Z, 2014-08-01T06:00:00.000000Z)'
 *
 * parseTimex('$last + 1 hx', { label: 'expiration' });
 * // TimexSyntaxError: expiration "$last + 1 hx": unknown unit "hx" at column 10
 * ```
 */
export function parseTimex(source: string, options?: { label?: string }): TimexExpression {
  const label = options?.label;
  const compiler = new Compiler(source, label);
  const compiled = compiler.compile(parse(source, label));
  const variables = Object.freeze(compiler.variables.slice());
  if (compiled.kind === 'range') {
    return new CompiledTimex(source, variables, 'range', compiled.fn);
  }
  const fn = compiled.fn;
  return new CompiledTimex(source, variables, 'timestamp', (vars, now) => {
    const us = fn(vars, now);
    return us === us ? new Instant(us) : undefined;
  });
}
