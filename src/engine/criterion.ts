import { unknownKeyMessage, type ConfigPath } from '../config/config-error.js';
import type { ConfigIssues } from '../config/problem-list.js';
import { describeType, isPlainObject } from '../config/yaml-source.js';
import { compileGlob } from '../distill/glob.js';
import type { WaymarkEvent } from '../model/event.js';
import { parseTimex, TimexSyntaxError, TimeRange } from '../timex/index.js';
import { timexVarsReader } from './event-vars.js';
import { compileTraitCondition, type Condition } from './trait-condition.js';
import type { Criterion } from './trigger.js';

/** The keys of a criterion. */
export const CRITERION_KEYS = [
  'event_type',
  'number',
  'timestamp',
  'traits',
  'map_distinguished_by',
] as const;

/** winchester's reference triggers file spells it this way; accepted with a warning. */
const MISSPELT_MAP_KEY = 'map_distingushed_by';

/** Event types decided per criterion are cached up to this many distinct types. */
const TYPE_CACHE_LIMIT = 1024;

/** What a criterion is compiled for. */
export interface CriterionOptions {
  /** The trigger's distinguishing trait names: `map_distinguished_by` may only name these. */
  readonly distinguishedBy: readonly string[];
  /** `match` or `fire`: `map_distinguished_by` only means something on a match criterion. */
  readonly kind: 'match' | 'fire';
}

interface TypeGlobs {
  readonly texts: readonly string[];
  readonly includes: readonly RegExp[];
  readonly excludes: readonly { text: string; re: RegExp }[];
}

/** A compiled criterion; see {@link Criterion}. */
class CompiledCriterion implements Criterion {
  private readonly typeCache = new Map<string, string | null>();
  /** The `event_type` globs as written (`['*']` when none). */
  readonly eventTypes: readonly string[];

  constructor(
    readonly number: number,
    readonly mapDistinguishedBy: Readonly<Record<string, string>>,
    private readonly globs: TypeGlobs | undefined,
    private readonly conditions: readonly Condition[],
  ) {
    this.eventTypes = globs?.texts ?? ['*'];
  }

  matchesType(eventType: string): boolean {
    return this.globs === undefined || this.typeVerdict(eventType) === null;
  }

  check(event: WaymarkEvent): string | undefined {
    if (this.globs !== undefined) {
      const mismatch = this.typeVerdict(event.event_type);
      if (mismatch !== null) return mismatch;
    }
    for (const c of this.conditions) {
      const why = c(event);
      if (why !== undefined) return why;
    }
    return undefined;
  }

  /** `null` when the type passes the globs, else why not; cached per type (bounded). */
  private typeVerdict(eventType: string): string | null {
    const hit = this.typeCache.get(eventType);
    if (hit !== undefined) return hit;
    const globs = this.globs as TypeGlobs;
    let ok = globs.includes.length === 0;
    for (const re of globs.includes) {
      if (re.test(eventType)) {
        ok = true;
        break;
      }
    }
    if (ok) for (const ex of globs.excludes) if (ex.re.test(eventType)) ok = false;
    const verdict = ok ? null : this.typeMismatch(eventType);
    if (this.typeCache.size >= TYPE_CACHE_LIMIT) this.typeCache.clear();
    this.typeCache.set(eventType, verdict);
    return verdict;
  }

  private typeMismatch(eventType: string): string {
    const globs = this.globs as TypeGlobs;
    const excluded = globs.excludes.find((ex) => ex.re.test(eventType));
    const included = globs.includes.length === 0 || globs.includes.some((re) => re.test(eventType));
    if (included && excluded !== undefined) {
      return `event_type ${JSON.stringify(eventType)} is excluded by !${excluded.text}`;
    }
    const positive = globs.texts.filter((t) => !t.startsWith('!'));
    return `event_type ${JSON.stringify(eventType)} does not match ${positive.join(', ')}`;
  }

  toString(): string {
    return `criterion(${this.eventTypes.join(', ')})`;
  }
}

function compileEventTypes(v: unknown, at: ConfigPath, issues: ConfigIssues): TypeGlobs | undefined | false {
  if (v === undefined) return undefined;
  const list: unknown = typeof v === 'string' ? [v] : v;
  if (!Array.isArray(list) || list.length === 0) {
    issues.problem(
      [...at, 'event_type'],
      `expected a glob such as "compute.instance.*" or a non-empty list of globs ("!" excludes), got ${describeType(v)}`,
    );
    return false;
  }
  const texts: string[] = [];
  const includes: RegExp[] = [];
  const excludes: { text: string; re: RegExp }[] = [];
  let ok = true;
  list.forEach((g: unknown, k) => {
    const path: ConfigPath = typeof v === 'string' ? [...at, 'event_type'] : [...at, 'event_type', k];
    if (typeof g !== 'string') {
      issues.problem(path, `expected a glob (a string), got ${describeType(g)}`);
      ok = false;
      return;
    }
    const exclude = g.startsWith('!');
    const text = exclude ? g.slice(1) : g;
    const re = compileGlob(text);
    if (!(re instanceof RegExp)) {
      issues.problem(path, re.message);
      ok = false;
      return;
    }
    texts.push(g);
    if (exclude) excludes.push({ text, re });
    else includes.push(re);
  });
  if (!ok) return false;
  // Every type matches "*": no need to test anything.
  if (excludes.length === 0 && includes.some((re) => re.source === '^.*$')) return undefined;
  return { texts, includes, excludes };
}

function compileTimestamp(v: unknown, at: ConfigPath, issues: ConfigIssues): Condition | undefined | false {
  if (v === undefined) return undefined;
  const path: ConfigPath = [...at, 'timestamp'];
  if (typeof v !== 'string') {
    issues.problem(
      path,
      `expected a time range expression such as "day($audit_period_beginning)", got ${describeType(v)}`,
    );
    return false;
  }
  let expr;
  try {
    expr = parseTimex(v, { label: 'timestamp' });
  } catch (err) {
    if (!(err instanceof TimexSyntaxError)) throw err;
    issues.problem(path, err.message);
    return false;
  }
  if (expr.resultKind !== 'range') {
    issues.problem(
      path,
      `"${v}" gives a timestamp; expected a time range the event's timestamp must be in, e.g. "day($audit_period_beginning)" or "$a to $b"`,
    );
    return false;
  }
  const varsOf = timexVarsReader(expr);
  return (e) => {
    const vars = varsOf(e);
    if (typeof vars === 'string') return `timestamp: ${vars}`;
    const range = expr.evaluate(vars, e.timestamp);
    if (!(range instanceof TimeRange)) return `timestamp: "${v}" has no value for this event`;
    return range.contains(e.timestamp)
      ? undefined
      : `timestamp ${e.timestamp.toISOString()} not in ${String(range)}`;
  };
}

function compileTraits(v: unknown, at: ConfigPath, issues: ConfigIssues): Condition[] | false {
  if (v === undefined || v === null) return [];
  const path: ConfigPath = [...at, 'traits'];
  if (!isPlainObject(v)) {
    issues.problem(
      path,
      `expected a map of trait name -> constant or {int|float|datetime|string: ...}, got ${describeType(v)}`,
    );
    return false;
  }
  const out: Condition[] = [];
  let ok = true;
  for (const [name, spec] of Object.entries(v)) {
    const c = compileTraitCondition(name, spec, [...path, name], issues);
    if (c === undefined) ok = false;
    else out.push(c);
  }
  return ok ? out : false;
}

function compileMapping(
  c: Record<string, unknown>,
  at: ConfigPath,
  issues: ConfigIssues,
  options: CriterionOptions,
): Record<string, string> | false {
  const proper = c['map_distinguished_by'];
  const misspelt = c[MISSPELT_MAP_KEY];
  let key = 'map_distinguished_by';
  let v = proper;
  if (misspelt !== undefined) {
    if (proper !== undefined) {
      issues.problem(
        [...at, MISSPELT_MAP_KEY],
        `both map_distinguished_by and its misspelling ${MISSPELT_MAP_KEY} are given; keep only map_distinguished_by`,
      );
      return false;
    }
    issues.warn(
      [...at, MISSPELT_MAP_KEY],
      `"${MISSPELT_MAP_KEY}" is a misspelling (accepted for winchester's files); rename it to "map_distinguished_by"`,
    );
    key = MISSPELT_MAP_KEY;
    v = misspelt;
  }
  if (v === undefined || v === null) return {};
  const path: ConfigPath = [...at, key];
  if (!isPlainObject(v)) {
    issues.problem(
      path,
      `expected a map of distinguishing trait -> event trait (e.g. {timestamp: audit_period_beginning}), got ${describeType(v)}`,
    );
    return false;
  }
  if (options.kind === 'fire') {
    issues.warn(
      path,
      `${key} only applies to match_criteria (it says which trait buckets the event); it is ignored here`,
    );
  }
  const out: Record<string, string> = {};
  let ok = true;
  for (const [dist, trait] of Object.entries(v)) {
    if (!options.distinguishedBy.includes(dist)) {
      issues.problem(
        [...path, dist],
        `"${dist}" is not a distinguishing trait of this trigger; expected one of ${options.distinguishedBy.join(', ') || '(none: distinguished_by is empty)'}`,
      );
      ok = false;
    } else if (typeof trait !== 'string' || trait === '') {
      issues.problem(
        [...path, dist],
        `expected the name of a trait of the event, got ${describeType(trait)}`,
      );
      ok = false;
    } else out[dist] = trait;
  }
  return ok ? out : false;
}

function compileNumber(v: unknown, at: ConfigPath, issues: ConfigIssues): number | false {
  if (v === undefined) return 1;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) {
    issues.problem(
      [...at, 'number'],
      `expected how many matching events are needed, a whole number >= 1, got ${describeType(v)}`,
    );
    return false;
  }
  return v;
}

/**
 * Compile one `match_criteria` / `fire_criteria` entry (triggers.md) into a
 * {@link Criterion} whose `check` runs precompiled closures only. Every
 * problem is recorded in `issues` with its path; the result is then
 * `undefined`.
 *
 * ```ts
 * const c = compileCriterion(
 *   { event_type: ['compute.instance.*', '!compute.instance.exists'], traits: { memory_mb: { int: '> 4096' } } },
 *   [0, 'match_criteria', 0], issues, { distinguishedBy: ['instance_id'], kind: 'match' });
 * c?.check(event); // undefined, or e.g. 'trait memory_mb: 512 is not > 4096'
 * ```
 */
export function compileCriterion(
  raw: unknown,
  at: ConfigPath,
  issues: ConfigIssues,
  options: CriterionOptions,
): Criterion | undefined {
  if (!isPlainObject(raw)) {
    issues.problem(
      at,
      `expected a criterion {event_type, number, timestamp, traits, map_distinguished_by}, got ${describeType(raw)}`,
    );
    return undefined;
  }
  for (const key of Object.keys(raw)) {
    if (key !== MISSPELT_MAP_KEY && !(CRITERION_KEYS as readonly string[]).includes(key)) {
      issues.problem([...at, key], unknownKeyMessage(key, CRITERION_KEYS));
    }
  }
  const globs = compileEventTypes(raw['event_type'], at, issues);
  const number = compileNumber(raw['number'], at, issues);
  const timestamp = compileTimestamp(raw['timestamp'], at, issues);
  const traits = compileTraits(raw['traits'], at, issues);
  const mapping = compileMapping(raw, at, issues, options);
  if (globs === false || number === false || timestamp === false || traits === false || mapping === false) {
    return undefined;
  }
  const conditions = timestamp === undefined ? traits : [timestamp, ...traits];
  return new CompiledCriterion(number, Object.freeze(mapping), globs, conditions);
}
