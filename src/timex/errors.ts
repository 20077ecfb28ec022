import { WaymarkError } from '../model/errors.js';

/**
 * A time expression that cannot be compiled: bad syntax, an unknown unit or
 * range, or an operation that does not fit its operand (a unit-less number on a
 * timestamp, a range used as an endpoint of `to`). Every such problem is found
 * when the expression is parsed, never when it is evaluated.
 *
 * The message names the expression (with its label when given), what is wrong,
 * the 1-based column, and what was expected:
 * ```text
 * expiration "$last + 1 hx": unknown unit "hx" at column 10
 * timex "$last +": expected a duration after '+' at column 8
 * ```
 */
export class TimexSyntaxError extends WaymarkError {
  override name = 'TimexSyntaxError';
  /** The whole expression as written. */
  readonly source: string;
  /** 1-based column of the problem (one past the end for "expected more"). */
  readonly column: number;
  /** How many characters the problem spans from `column` (at least 1), for underlining. */
  readonly length: number;
  /** What the expression is, e.g. `expiration`, when the caller said. */
  readonly label: string | undefined;
  /** The problem alone, without the expression prefix: `unknown unit "hx" at column 10`. */
  readonly detail: string;

  constructor(
    source: string,
    problem: string,
    column: number,
    options: { label?: string | undefined; hint?: string; length?: number; cause?: unknown } = {},
  ) {
    const detail = `${problem} at column ${column}${options.hint === undefined ? '' : `; ${options.hint}`}`;
    const prefix = `${options.label ?? 'timex'} ${JSON.stringify(source)}`;
    super(`${prefix}: ${detail}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.source = source;
    this.column = column;
    this.length = Math.max(1, options.length ?? 1);
    this.label = options.label;
    this.detail = detail;
  }

  /**
   * The expression with a caret line under the problem, for terminals:
   * ```text
   * $last + 1 hx
   *          ^~~
   * ```
   */
  caret(indent = ''): string {
    const line = this.source.replace(/[\t\r\n]/g, ' ');
    return `${indent}${line}\n${indent}${' '.repeat(this.column - 1)}^${'~'.repeat(this.length - 1)}`;
  }
}
