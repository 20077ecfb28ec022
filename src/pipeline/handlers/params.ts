import { unknownKeyMessage } from '../../config/config-error.js';
import { compileGlob } from '../../distill/glob.js';
import type { HandlerContext, HandlerSpec, ParamProblem, PipelineHandler } from '../handler.js';
import { HandlerParamsError } from '../pipeline-error.js';

/** How one param is checked: `check` says what is wrong (and what is expected), or `undefined`. */
export interface ParamRule {
  readonly required?: boolean;
  check(value: unknown): string | undefined;
}

export type ParamRules = Readonly<Record<string, ParamRule>>;

function shown(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  return typeof value;
}

/**
 * Every problem with `params`: unknown keys (with a did-you-mean), missing
 * required keys, and each rule's complaint. Paths are relative to `params`.
 */
export function checkParams(params: Readonly<Record<string, unknown>>, rules: ParamRules): ParamProblem[] {
  const problems: ParamProblem[] = [];
  const allowed = Object.keys(rules);
  if (params === null || typeof params !== 'object' || Array.isArray(params)) {
    return [{ path: [], message: `expected a map of params (${allowed.join(', ')}), got ${shown(params)}` }];
  }
  for (const key of Object.keys(params)) {
    if (!(key in rules)) problems.push({ path: [key], message: unknownKeyMessage(key, allowed) });
  }
  for (const [key, rule] of Object.entries(rules)) {
    const value = params[key];
    if (value === undefined || value === null) {
      if (rule.required === true) {
        const expected = rule.check(undefined) ?? 'a value';
        problems.push({ path: [key], message: `required; ${expected.replace(/, got .*$/, '')}` });
      }
      continue;
    }
    const problem = rule.check(value);
    if (problem !== undefined) problems.push({ path: [key], message: problem });
  }
  return problems;
}

/** Throw {@link HandlerParamsError} listing every problem (for `create`, when params skipped `validate`). */
export function assertParams(
  handler: string,
  params: Readonly<Record<string, unknown>>,
  rules: ParamRules,
): void {
  const problems = checkParams(params, rules);
  if (problems.length === 0) return;
  const lines = problems.map((p) => {
    const where = p.path.length === 0 ? 'params' : `params.${p.path.join('.')}`;
    return `${where}: ${p.message}`;
  });
  throw new HandlerParamsError(`${handler}: ${lines.join('; ')}`);
}

/** A non-empty string; `example` shows the expected form. */
export function str(example: string, required = false): ParamRule {
  return {
    required,
    check: (v) =>
      typeof v === 'string' && v !== ''
        ? undefined
        : `expected a string such as "${example}", got ${shown(v)}`,
  };
}

export function oneOf(values: readonly string[], required = false): ParamRule {
  return {
    required,
    check: (v) =>
      typeof v === 'string' && values.includes(v)
        ? undefined
        : `expected one of ${values.map((x) => `"${x}"`).join(', ')}, got ${shown(v)}`,
  };
}

/** A finite number within bounds (`integer` for counts, ports). */
export function num(opts: {
  min?: number;
  minExclusive?: boolean;
  max?: number;
  integer?: boolean;
  unit?: string;
}): ParamRule {
  const kind = opts.integer === true ? 'an integer' : 'a number';
  const bounds = [
    opts.min === undefined ? '' : `${opts.minExclusive === true ? '>' : '>='} ${opts.min}`,
    opts.max === undefined ? '' : `<= ${opts.max}`,
  ]
    .filter((s) => s !== '')
    .join(' and ');
  const expected = `${kind}${bounds === '' ? '' : ` ${bounds}`}${opts.unit === undefined ? '' : ` (${opts.unit})`}`;
  return {
    check: (v) => {
      const ok =
        typeof v === 'number' &&
        Number.isFinite(v) &&
        (opts.integer !== true || Number.isInteger(v)) &&
        (opts.min === undefined || (opts.minExclusive === true ? v > opts.min : v >= opts.min)) &&
        (opts.max === undefined || v <= opts.max);
      return ok ? undefined : `expected ${expected}, got ${shown(v)}`;
    },
  };
}

/** A list of non-empty strings. */
export function strList(example: string): ParamRule {
  return {
    check: (v) => {
      if (!Array.isArray(v)) return `expected a list of strings such as [${example}], got ${shown(v)}`;
      const bad = v.findIndex((x) => typeof x !== 'string' || x === '');
      return bad < 0 ? undefined : `item ${bad}: expected a non-empty string, got ${shown(v[bad])}`;
    },
  };
}

/** A map of string to string (HTTP headers). */
export function strMap(example: string): ParamRule {
  return {
    check: (v) => {
      if (v === null || typeof v !== 'object' || Array.isArray(v))
        return `expected a map such as {${example}}, got ${shown(v)}`;
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
        if (typeof x !== 'string') return `"${k}": expected a string value, got ${shown(x)}`;
      }
      return undefined;
    },
  };
}

/** An event-type glob (`compute.instance.create.*`). */
export function glob(example: string, required = false): ParamRule {
  return {
    required,
    check: (v) => {
      if (typeof v !== 'string' || v === '')
        return `expected an event type glob such as "${example}", got ${shown(v)}`;
      const re = compileGlob(v);
      return re instanceof RegExp ? undefined : re.message;
    },
  };
}

/** An absolute http:// or https:// URL. */
export function httpUrl(required = false): ParamRule {
  return {
    required,
    check: (v) => {
      const expected = 'expected an http:// or https:// URL such as "https://hooks.example.com/waymark"';
      if (typeof v !== 'string') return `${expected}, got ${shown(v)}`;
      let url: URL;
      try {
        url = new URL(v);
      } catch {
        return `${expected}, got ${shown(v)}`;
      }
      return url.protocol === 'http:' || url.protocol === 'https:'
        ? undefined
        : `${expected}, got ${shown(v)}`;
    },
  };
}

/** Read a validated param with its default. */
export function param<T>(params: Readonly<Record<string, unknown>>, key: string, fallback: T): T {
  const v = params[key];
  return v === undefined || v === null ? fallback : (v as T);
}

/**
 * A {@link HandlerSpec} whose `validate` checks `rules` and whose `create`
 * refuses params that fail them (so a handler never runs half-configured).
 */
export function specWithRules(
  name: string,
  rules: ParamRules,
  make: (params: Readonly<Record<string, unknown>>, context: HandlerContext) => PipelineHandler,
  options: { pure?: boolean } = {},
): HandlerSpec {
  return {
    name,
    ...(options.pure === true ? { pure: true } : {}),
    validate: (params) => checkParams(params, rules),
    create: (params, context) => {
      assertParams(name, params, rules);
      return make(params, context);
    },
  };
}
