import { didYouMean, type ConfigPath } from '../config/config-error.js';
import type { ConfigIssues } from '../config/problem-list.js';
import { describeType, isPlainObject } from '../config/yaml-source.js';
import type { TraitValue, WaymarkEvent } from '../model/event.js';
import { Instant } from '../model/instant.js';
import { parseTimex, TimexSyntaxError, TimeRange } from '../timex/index.js';
import { formatValue, timexVarsReader, traitReader } from './event-vars.js';

/** One compiled condition of a criterion: `undefined` when it holds, else why not. */
export type Condition = (e: WaymarkEvent) => string | undefined;

/** The one-key maps a trait condition may be: `{int: "> 4096"}`, `{datetime: ...}`, ... */
export const TRAIT_CONDITION_KINDS = ['int', 'float', 'numeric', 'datetime', 'string', 'text'] as const;

type Operator = '=' | '==' | '!=' | '>' | '<' | '>=' | '<=';

const COMPARISON_RE = /^\s*(==|=|!=|>=|<=|>|<)?\s*([-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)\s*$/;

const EXPECTED_COMPARISON =
  'expected a number or a comparison such as "> 4096" (operators =, ==, !=, >, <, >=, <=)';

function compare(op: Operator, a: number, b: number): boolean {
  switch (op) {
    case '=':
    case '==':
      return a === b;
    case '!=':
      return a !== b;
    case '>':
      return a > b;
    case '<':
      return a < b;
    case '>=':
      return a >= b;
    case '<=':
      return a <= b;
  }
}

/** A trait value as a number: numbers as is, numeric text parsed, anything else NaN. */
function asNumber(v: TraitValue): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '') return Number(v);
  return NaN;
}

/** `{int|float|numeric: "> 4096"}`. */
function numericCondition(
  trait: string,
  kind: 'int' | 'float' | 'numeric',
  spec: unknown,
  at: ConfigPath,
  issues: ConfigIssues,
): Condition | undefined {
  let op: Operator = '=';
  let value: number;
  if (typeof spec === 'number' && Number.isFinite(spec)) value = spec;
  else if (typeof spec === 'string' && COMPARISON_RE.test(spec)) {
    const m = COMPARISON_RE.exec(spec) as RegExpExecArray;
    op = (m[1] ?? '=') as Operator;
    value = Number(m[2]);
  } else {
    issues.problem(at, `${EXPECTED_COMPARISON}, got ${describeType(spec)}`);
    return undefined;
  }
  if (kind === 'int' && !Number.isInteger(value)) {
    issues.problem(
      at,
      `expected a whole number for an int comparison, got ${value} (use float: for fractions)`,
    );
    return undefined;
  }
  const read = traitReader(trait);
  const missing = `trait ${trait}: missing`;
  const shown = op === '=' || op === '==' ? `${value}` : `${op} ${value}`;
  return (e) => {
    const v = read(e);
    if (v === undefined) return missing;
    const n = asNumber(v);
    if (n !== n) return `trait ${trait}: ${formatValue(v)} is not a number (expected ${shown})`;
    if (compare(op, n, value)) return undefined;
    return op === '!='
      ? `trait ${trait}: ${n} is ${value}, expected != ${value}`
      : `trait ${trait}: ${n} is not ${shown}`;
  };
}

/** `{datetime: timex}`: equal to a timestamp result, inside a range result. */
function datetimeCondition(
  trait: string,
  spec: unknown,
  at: ConfigPath,
  issues: ConfigIssues,
): Condition | undefined {
  if (typeof spec !== 'string') {
    issues.problem(
      at,
      `expected a time expression such as "$audit_period_beginning + 1d", got ${describeType(spec)}`,
    );
    return undefined;
  }
  let expr;
  try {
    expr = parseTimex(spec, { label: 'datetime' });
  } catch (err) {
    if (!(err instanceof TimexSyntaxError)) throw err;
    issues.problem(at, err.message);
    return undefined;
  }
  const read = traitReader(trait);
  const varsOf = timexVarsReader(expr);
  const missing = `trait ${trait}: missing`;
  return (e) => {
    const raw = read(e);
    if (raw === undefined) return missing;
    const v = raw instanceof Instant ? raw : typeof raw === 'string' ? Instant.tryParse(raw) : undefined;
    if (v === undefined) return `trait ${trait}: ${formatValue(raw)} is not a datetime`;
    const vars = varsOf(e);
    if (typeof vars === 'string') return vars;
    const want = expr.evaluate(vars, e.timestamp);
    if (want instanceof TimeRange) {
      return want.contains(v)
        ? undefined
        : `trait ${trait}: ${v.toISOString()} not in ${String(want)} (${spec})`;
    }
    if (want === undefined) return `trait ${trait}: "${spec}" has no value for this event`;
    return want.us === v.us
      ? undefined
      : `trait ${trait}: ${v.toISOString()} is not ${want.toISOString()} (${spec})`;
  };
}

/** `{string: value}`: the trait's text form equals the value. */
function stringCondition(
  trait: string,
  spec: unknown,
  at: ConfigPath,
  issues: ConfigIssues,
): Condition | undefined {
  if (typeof spec !== 'string' && !(typeof spec === 'number' && Number.isFinite(spec))) {
    issues.problem(at, `expected a string to compare with, got ${describeType(spec)}`);
    return undefined;
  }
  const want = String(spec);
  const read = traitReader(trait);
  const missing = `trait ${trait}: missing`;
  return (e) => {
    const v = read(e);
    if (v === undefined) return missing;
    const text = typeof v === 'string' ? v : typeof v === 'number' ? String(v) : v.toISOString();
    return text === want ? undefined : `trait ${trait}: ${formatValue(v)} is not ${JSON.stringify(want)}`;
  };
}

/**
 * A constant: equality, with numbers compared numerically (a text trait `"5"`
 * equals `5`) and datetime traits compared by instant (the constant is parsed
 * as a timestamp).
 */
function constantCondition(trait: string, constant: string | number): Condition {
  const read = traitReader(trait);
  const missing = `trait ${trait}: missing`;
  const num = typeof constant === 'number' ? constant : constant.trim() === '' ? NaN : Number(constant);
  const instant = typeof constant === 'string' ? Instant.tryParse(constant) : undefined;
  const shown = typeof constant === 'string' ? JSON.stringify(constant) : String(constant);
  const fail = (v: TraitValue): string => `trait ${trait}: ${formatValue(v)} is not ${shown}`;
  if (typeof constant === 'string') {
    return (e) => {
      const v = read(e);
      if (v === undefined) return missing;
      if (typeof v === 'string') return v === constant ? undefined : fail(v);
      if (typeof v === 'number') return v === num ? undefined : fail(v);
      if (instant === undefined) return `${fail(v)} (${shown} is not a timestamp)`;
      return v.us === instant.us ? undefined : fail(v);
    };
  }
  return (e) => {
    const v = read(e);
    if (v === undefined) return missing;
    if (typeof v === 'number') return v === constant ? undefined : fail(v);
    if (typeof v === 'string') return v.trim() !== '' && Number(v) === constant ? undefined : fail(v);
    return fail(v);
  };
}

/**
 * Compile the condition on one trait of a criterion's `traits` map: a
 * constant, or a one-key map `{int|float|numeric: "> 4096"}`,
 * `{datetime: timex}`, `{string|text: value}`. A trait the event lacks fails
 * the condition. Problems are recorded in `issues` (the result is then
 * `undefined`).
 */
export function compileTraitCondition(
  trait: string,
  spec: unknown,
  at: ConfigPath,
  issues: ConfigIssues,
): Condition | undefined {
  if (typeof spec === 'string' || (typeof spec === 'number' && Number.isFinite(spec))) {
    return constantCondition(trait, spec);
  }
  if (!isPlainObject(spec)) {
    issues.problem(
      at,
      `expected a constant (a string or a number) or a one-key map {int|float|numeric|datetime|string: ...}, got ${describeType(spec)}`,
    );
    return undefined;
  }
  const keys = Object.keys(spec);
  if (keys.length !== 1) {
    issues.problem(
      at,
      `expected exactly one of ${TRAIT_CONDITION_KINDS.join(', ')} (e.g. {int: "> 4096"}), got ${keys.length === 0 ? 'an empty map' : `${keys.length} keys: ${keys.join(', ')}`}`,
    );
    return undefined;
  }
  const kind = keys[0] as string;
  const value = spec[kind];
  const inner: ConfigPath = [...at, kind];
  switch (kind) {
    case 'int':
    case 'float':
    case 'numeric':
      return numericCondition(trait, kind, value, inner, issues);
    case 'datetime':
      return datetimeCondition(trait, value, inner, issues);
    case 'string':
    case 'text':
      return stringCondition(trait, value, inner, issues);
    default: {
      const guess = didYouMean(kind, TRAIT_CONDITION_KINDS);
      issues.problem(
        inner,
        `unknown comparison "${kind}"${guess === undefined ? '' : ` (did you mean "${guess}"?)`}; expected one of ${TRAIT_CONDITION_KINDS.join(', ')}`,
      );
      return undefined;
    }
  }
}
