/**
 * Recursive-descent parser: source text -> syntax tree with source spans.
 *
 * ```text
 * expression := shifted ('to' shifted)?
 * shifted    := primary (('+' | '-' | '@') duration)*
 * primary    := '$' name | range ('(' expression ')')? | '(' expression ')'
 * range      := 'hour' | 'day' | 'month' | 'year'
 * duration   := number unit? (number unit?)*
 * ```
 */
import { UNIT_ALIASES, type DurationUnit } from '../model/duration.js';
import { RANGE_UNITS, type RangeUnit } from './calendar.js';
import { TimexSyntaxError } from './errors.js';
import { LexError, tokenize, type Token } from './lexer.js';

/** A span `[start, end)` of 0-based offsets into the source. */
export interface Span {
  start: number;
  end: number;
}

export interface DurationTerm extends Span {
  value: number;
  text: string;
  /** `undefined` for a bare number (one step of the range's next-finer unit). */
  unit: DurationUnit | undefined;
}

export interface DurationNode extends Span {
  terms: DurationTerm[];
}

export type Node =
  | (Span & { kind: 'var'; name: string })
  | (Span & { kind: 'unit-range'; unit: RangeUnit; arg: Node | undefined })
  | (Span & { kind: 'shift'; op: '+' | '-' | '@'; opAt: number; target: Node; duration: DurationNode })
  | (Span & { kind: 'to'; opAt: number; from: Node; to: Node });

const RANGE_HINT = 'expected hour, day, month or year';
const START_HINT = "expected a variable such as $last, a range (hour, day, month, year) or '('";

/** Long or foreign unit names people type, and what timex calls them. */
const UNIT_HINTS: Readonly<Record<string, string>> = {
  hour: 'h',
  hours: 'h',
  hrs: 'h',
  day: 'd',
  days: 'd',
  minute: 'm',
  minutes: 'm',
  mins: 'm',
  second: 's',
  seconds: 's',
  secs: 's',
  month: 'mo',
  months: 'mo',
  year: 'y',
  years: 'y',
  yrs: 'y',
  usec: 'us',
  micros: 'us',
};

function describe(tok: Token): string {
  switch (tok.kind) {
    case 'end':
      return 'the end of the expression';
    case 'var':
      return `'$${tok.text}'`;
    default:
      return `'${tok.text}'`;
  }
}

class Parser {
  private pos = 0;
  constructor(
    private readonly src: string,
    private readonly tokens: Token[],
    private readonly label: string | undefined,
  ) {}

  fail(problem: string, offset: number, hint?: string, length?: number): never {
    throw new TimexSyntaxError(this.src, problem, offset + 1, {
      label: this.label,
      ...(hint === undefined ? {} : { hint }),
      ...(length === undefined ? {} : { length }),
    });
  }

  private peek(): Token {
    return this.tokens[this.pos] as Token;
  }

  private next(): Token {
    const tok = this.tokens[this.pos] as Token;
    if (tok.kind !== 'end') this.pos++;
    return tok;
  }

  private isTo(tok: Token): boolean {
    return tok.kind === 'ident' && tok.text === 'to';
  }

  parseAll(): Node {
    if (this.peek().kind === 'end') this.fail('empty expression', 0, START_HINT);
    const node = this.parseExpression(undefined);
    const tok = this.peek();
    if (tok.kind !== 'end') {
      if (tok.kind === ')') this.fail("unexpected ')'", tok.start, "no '(' is open here");
      if (this.isTo(tok)) {
        this.fail("unexpected 'to'", tok.start, "a range has one 'to'; group with parentheses", 2);
      }
      this.fail(
        `unexpected ${describe(tok)}`,
        tok.start,
        "expected '+', '-', '@', 'to' or the end of the expression",
        tok.end - tok.start,
      );
    }
    return node;
  }

  /** `shifted ('to' shifted)?`; `after` describes what came before, for messages. */
  private parseExpression(after: string | undefined): Node {
    const from = this.parseShifted(after);
    const tok = this.peek();
    if (!this.isTo(tok)) return from;
    this.next();
    const to = this.parseShifted("'to'");
    return { kind: 'to', opAt: tok.start, from, to, start: from.start, end: to.end };
  }

  private parseShifted(after: string | undefined): Node {
    let node = this.parsePrimary(after);
    for (;;) {
      const tok = this.peek();
      if (tok.kind !== '+' && tok.kind !== '-' && tok.kind !== '@') return node;
      this.next();
      const duration = this.parseDuration(tok);
      node = {
        kind: 'shift',
        op: tok.kind,
        opAt: tok.start,
        target: node,
        duration,
        start: node.start,
        end: duration.end,
      };
    }
  }

  private parsePrimary(after: string | undefined): Node {
    const tok = this.next();
    switch (tok.kind) {
      case 'var':
        return { kind: 'var', name: tok.text, start: tok.start, end: tok.end };
      case 'ident': {
        const unit = RANGE_UNITS.find((u) => u === tok.text);
        if (unit !== undefined) return this.parseUnitRange(unit, tok);
        if (tok.text === 'to') {
          this.fail(`expected a timestamp before 'to'`, tok.start, 'write it as $start to $end', 2);
        }
        const hint = /^(hours|days|months|years)$/.test(tok.text)
          ? `${RANGE_HINT} (singular)`
          : /^(weeks?|minutes?|seconds?|quarters?|decades?)$/.test(tok.text)
            ? RANGE_HINT
            : `${RANGE_HINT}; variables start with '$' (did you mean $${tok.text}?)`;
        this.fail(`unknown range '${tok.text}'`, tok.start, hint, tok.end - tok.start);
        break;
      }
      case '(': {
        const inner = this.parseExpression("'('");
        const close = this.next();
        if (close.kind !== ')') {
          this.fail(
            "expected ')'",
            close.start,
            `the '(' at column ${tok.start + 1} is not closed; found ${describe(close)}`,
          );
        }
        return { ...inner, start: tok.start, end: close.end };
      }
      case 'end':
        this.fail(`expected a timestamp or range after ${after ?? 'the start'}`, tok.start, START_HINT);
        break;
      case 'number':
        this.fail(
          `unexpected number '${tok.text}'`,
          tok.start,
          `${START_HINT}; a duration goes after '+', '-' or '@'`,
          tok.end - tok.start,
        );
        break;
      default:
        this.fail(`unexpected ${describe(tok)}`, tok.start, START_HINT);
    }
  }

  private parseUnitRange(unit: RangeUnit, tok: Token): Node {
    if (this.peek().kind !== '(')
      return { kind: 'unit-range', unit, arg: undefined, start: tok.start, end: tok.end };
    this.next();
    if (this.peek().kind === ')') {
      this.fail(
        `expected a timestamp inside ${unit}(...)`,
        this.peek().start,
        `e.g. ${unit}($timestamp), or plain ${unit}`,
      );
    }
    const arg = this.parseExpression(`'${unit}('`);
    const close = this.next();
    if (close.kind !== ')') {
      this.fail(
        "expected ')'",
        close.start,
        `the '${unit}(' at column ${tok.start + 1} is not closed; found ${describe(close)}`,
      );
    }
    return { kind: 'unit-range', unit, arg, start: tok.start, end: close.end };
  }

  private parseDuration(op: Token): DurationNode {
    const first = this.peek();
    if (first.kind !== 'number') {
      this.fail(
        `expected a duration after '${op.text}'`,
        first.start,
        first.kind === 'end' ? 'e.g. 1h, 30m or 6h 30m' : `found ${describe(first)}; e.g. 1h, 30m or 6h 30m`,
      );
    }
    const terms: DurationTerm[] = [];
    while (this.peek().kind === 'number') {
      const num = this.next();
      let unit: DurationUnit | undefined;
      let end = num.end;
      const u = this.peek();
      if (u.kind === 'ident' && !this.isTo(u)) {
        this.next();
        unit = UNIT_ALIASES[u.text];
        if (unit === undefined || !Object.hasOwn(UNIT_ALIASES, u.text)) {
          // The column is where the unit begins: right after its number.
          const suggestion = Object.hasOwn(UNIT_HINTS, u.text) ? UNIT_HINTS[u.text] : undefined;
          const hint =
            suggestion !== undefined
              ? `write ${num.text}${suggestion}`
              : /^w(ee)?ks?$/.test(u.text)
                ? `there is no week unit; write ${Number(num.text) * 7}d`
                : /^(ms|msecs?|millis)$/.test(u.text)
                  ? 'there is no millisecond unit; write us (1ms = 1000us)'
                  : undefined;
          this.fail(`unknown unit "${u.text}"`, num.end, hint, u.end - num.end);
        }
        end = u.end;
      }
      terms.push({
        value: Number(num.text),
        text: this.src.slice(num.start, end),
        unit,
        start: num.start,
        end,
      });
    }
    const last = terms[terms.length - 1] as DurationTerm;
    return { terms, start: first.start, end: last.end };
  }
}

/** Parse `src` into a syntax tree; throws {@link TimexSyntaxError}. */
export function parse(src: string, label?: string): Node {
  let tokens: Token[];
  try {
    tokens = tokenize(src);
  } catch (e) {
    if (e instanceof LexError) {
      throw new TimexSyntaxError(src, e.problem, e.offset + 1, {
        label,
        ...(e.hint === undefined ? {} : { hint: e.hint }),
      });
    }
    throw e;
  }
  return new Parser(src, tokens, label).parseAll();
}
