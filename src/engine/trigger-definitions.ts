import { unknownKeyMessage, type ConfigPath, type ConfigProblem } from '../config/config-error.js';
import { ProblemList, type ConfigIssues } from '../config/problem-list.js';
import { describeType, isPlainObject, type YamlSource } from '../config/yaml-source.js';
import { parseTimex, TimexSyntaxError, type TimexExpression } from '../timex/index.js';
import { compileCriterion, type CriterionOptions } from './criterion.js';
import type { Criterion, DistinguishingTrait, TriggerDefinition } from './trigger.js';

/** The keys of a trigger definition. */
export const TRIGGER_KEYS = [
  'name',
  'distinguished_by',
  'match_criteria',
  'fire_criteria',
  'expiration',
  'fire_pipeline',
  'expire_pipeline',
  'fire_delay',
  'load_criteria',
  'debug_level',
] as const;

/** The variables an `expiration` may use. */
const EXPIRATION_VARIABLES = ['first', 'last', 'timestamp'];

/** Trigger definitions, compiled, and what deserves a word without stopping the load. */
export interface TriggerDefinitions {
  readonly triggers: TriggerDefinition[];
  /** E.g. the misspelt `map_distingushed_by` of winchester's reference file: accepted, but rename it. */
  readonly warnings: ConfigProblem[];
}

type Located = Partial<
  Record<'fire_pipeline' | 'expire_pipeline' | 'name', { line: number; column: number }>
>;

/** Where some keys of each loaded trigger are written, for cross-file messages. */
const locations = new WeakMap<TriggerDefinition, Located>();

/**
 * Line and column of a trigger's key (`name`, `fire_pipeline`, `expire_pipeline`)
 * in its file, when the trigger came from {@link loadTriggerDefinitions} or
 * {@link parseTriggerDefinitions}.
 */
export function triggerKeyLocation(
  trigger: TriggerDefinition,
  key: 'name' | 'fire_pipeline' | 'expire_pipeline',
): { line: number; column: number } | undefined {
  return locations.get(trigger)?.[key];
}

function compileTimex(
  v: unknown,
  path: ConfigPath,
  label: string,
  issues: ConfigIssues,
): TimexExpression | undefined {
  if (typeof v !== 'string' || v.trim() === '') {
    issues.problem(path, `expected a time expression such as "$last + 1h", got ${describeType(v)}`);
    return undefined;
  }
  try {
    return parseTimex(v, { label });
  } catch (err) {
    if (!(err instanceof TimexSyntaxError)) throw err;
    issues.problem(path, err.message);
    return undefined;
  }
}

function compileDistinguishedBy(
  v: unknown,
  at: ConfigPath,
  issues: ConfigIssues,
): DistinguishingTrait[] | undefined {
  const path: ConfigPath = [...at, 'distinguished_by'];
  if (v === undefined) {
    issues.problem(
      at,
      'missing "distinguished_by"; expected a list of trait names, e.g. [instance_id, {timestamp: day}]',
    );
    return undefined;
  }
  if (!Array.isArray(v)) {
    issues.problem(
      path,
      `expected a list of trait names or {trait: timex range} entries, got ${describeType(v)}`,
    );
    return undefined;
  }
  const out: DistinguishingTrait[] = [];
  let ok = true;
  v.forEach((entry: unknown, i) => {
    const p: ConfigPath = [...path, i];
    let trait: string | undefined;
    let range: TimexExpression | undefined;
    if (typeof entry === 'string' && entry !== '') trait = entry;
    else if (isPlainObject(entry) && Object.keys(entry).length === 1) {
      const key = Object.keys(entry)[0] as string;
      trait = key;
      range = compileTimex(entry[key], [...p, key], `distinguished_by ${key}`, issues);
      if (range === undefined) ok = false;
      else if (range.resultKind !== 'range') {
        issues.problem(
          [...p, trait],
          `"${range.source}" gives a timestamp; expected a time range to bucket ${trait} in, e.g. "day" or "hour"`,
        );
        ok = false;
      } else {
        const extra = range.variables.filter((n) => n !== trait && n !== 'timestamp');
        if (extra.length > 0) {
          issues.problem(
            [...p, trait],
            `"${range.source}" uses $${extra.join(', $')}; a bucket may only use $${trait}${trait === 'timestamp' ? '' : ' or $timestamp (both are the trait value)'}`,
          );
          ok = false;
        }
      }
    } else {
      issues.problem(
        p,
        `expected a trait name or a one-key map {trait: timex range} such as {timestamp: day}, got ${describeType(entry)}`,
      );
      ok = false;
      return;
    }
    if (out.some((d) => d.trait === trait)) {
      issues.problem(p, `"${trait}" is listed twice; each distinguishing trait once`);
      ok = false;
      return;
    }
    out.push(range === undefined ? { trait } : { trait, range });
  });
  return ok ? out : undefined;
}

function compileCriteria(
  v: unknown,
  at: ConfigPath,
  key: 'match_criteria' | 'fire_criteria',
  issues: ConfigIssues,
  options: CriterionOptions,
): Criterion[] | undefined {
  const path: ConfigPath = [...at, key];
  if (v === undefined || v === null) {
    if (key === 'fire_criteria') return [];
    issues.problem(
      at,
      'missing "match_criteria"; expected a non-empty list of criteria, e.g. [{event_type: compute.instance.*}]',
    );
    return undefined;
  }
  if (!Array.isArray(v) || (v.length === 0 && key === 'match_criteria')) {
    issues.problem(
      path,
      `expected a non-empty list of criteria ({event_type, traits, ...}), got ${describeType(v)}`,
    );
    return undefined;
  }
  const out: Criterion[] = [];
  let ok = true;
  v.forEach((c: unknown, i) => {
    const compiled = compileCriterion(c, [...path, i], issues, options);
    if (compiled === undefined) ok = false;
    else out.push(compiled);
  });
  return ok ? out : undefined;
}

function pipelineName(v: unknown, path: ConfigPath, issues: ConfigIssues): string | undefined | false {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || v === '') {
    issues.problem(path, `expected the name of a pipeline (a string), got ${describeType(v)}`);
    return false;
  }
  return v;
}

function nonNegative(
  v: unknown,
  path: ConfigPath,
  issues: ConfigIssues,
  what: string,
  integer: boolean,
): number | false {
  if (v === undefined || v === null) return 0;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (integer && !Number.isInteger(v))) {
    issues.problem(path, `expected ${what}, got ${describeType(v)}`);
    return false;
  }
  return v;
}

/** Compile one trigger; `undefined` when it has problems (all recorded). */
function compileTrigger(
  raw: unknown,
  index: number,
  source: YamlSource,
  issues: ConfigIssues,
): TriggerDefinition | undefined {
  const at: ConfigPath = [index];
  if (!isPlainObject(raw)) {
    issues.problem(
      at,
      `expected a trigger definition {name, distinguished_by, match_criteria, ...}, got ${describeType(raw)}`,
    );
    return undefined;
  }
  let ok = true;
  for (const key of Object.keys(raw)) {
    if (!(TRIGGER_KEYS as readonly string[]).includes(key)) {
      issues.problem([...at, key], unknownKeyMessage(key, TRIGGER_KEYS));
      ok = false;
    }
  }
  const name = raw['name'];
  if (typeof name !== 'string' || name.trim() === '') {
    if (name === undefined) issues.problem(at, 'missing "name"; expected a unique trigger name');
    else
      issues.problem(
        [...at, 'name'],
        `expected a trigger name (a non-empty string), got ${describeType(name)}`,
      );
    ok = false;
  }
  const distinguishedBy = compileDistinguishedBy(raw['distinguished_by'], at, issues);
  const distNames = distinguishedBy?.map((d) => d.trait) ?? [];
  const matchCriteria = compileCriteria(raw['match_criteria'], at, 'match_criteria', issues, {
    distinguishedBy: distNames,
    kind: 'match',
  });
  const fireCriteria = compileCriteria(raw['fire_criteria'], at, 'fire_criteria', issues, {
    distinguishedBy: distNames,
    kind: 'fire',
  });
  let expiration: TimexExpression | undefined;
  if (raw['expiration'] === undefined) {
    issues.problem(
      at,
      'missing "expiration"; expected a time expression over $first and $last, e.g. "$last + 1h"',
    );
  } else {
    expiration = compileTimex(raw['expiration'], [...at, 'expiration'], 'expiration', issues);
    if (expiration?.resultKind === 'range') {
      issues.problem(
        [...at, 'expiration'],
        `"${expiration.source}" gives a time range; expected a timestamp, e.g. "$last + 1h"`,
      );
      expiration = undefined;
    } else if (expiration !== undefined) {
      const bad = expiration.variables.filter((n) => !EXPIRATION_VARIABLES.includes(n));
      if (bad.length > 0) {
        issues.problem(
          [...at, 'expiration'],
          `"${expiration.source}" uses $${bad.join(', $')}; an expiration may only use $first, $last and $timestamp`,
        );
        expiration = undefined;
      }
    }
  }
  const firePipeline = pipelineName(raw['fire_pipeline'], [...at, 'fire_pipeline'], issues);
  const expirePipeline = pipelineName(raw['expire_pipeline'], [...at, 'expire_pipeline'], issues);
  if (firePipeline === undefined && expirePipeline === undefined) {
    issues.problem(at, 'no pipeline; expected fire_pipeline, expire_pipeline or both');
    ok = false;
  }
  if (typeof firePipeline === 'string' && fireCriteria !== undefined && fireCriteria.length === 0) {
    issues.problem(
      [...at, 'fire_pipeline'],
      'a fire_pipeline needs fire_criteria (a stream fires when each is met); add fire_criteria or drop fire_pipeline',
    );
    ok = false;
  }
  const fireDelay = nonNegative(
    raw['fire_delay'],
    [...at, 'fire_delay'],
    issues,
    'seconds (a number >= 0)',
    false,
  );
  const debugLevel = nonNegative(
    raw['debug_level'],
    [...at, 'debug_level'],
    issues,
    'a whole number >= 0',
    true,
  );
  if (
    !ok ||
    typeof name !== 'string' ||
    distinguishedBy === undefined ||
    matchCriteria === undefined ||
    fireCriteria === undefined ||
    expiration === undefined ||
    firePipeline === false ||
    expirePipeline === false ||
    fireDelay === false ||
    debugLevel === false
  ) {
    return undefined;
  }
  const trigger: TriggerDefinition = {
    name,
    distinguishedBy,
    matchCriteria,
    fireCriteria,
    expiration,
    firePipeline,
    expirePipeline,
    fireDelaySeconds: fireDelay,
    debugLevel,
    loadCriteria: raw['load_criteria'],
    source: { file: source.file, index },
  };
  const where: Located = {};
  for (const key of ['name', 'fire_pipeline', 'expire_pipeline'] as const) {
    const loc = raw[key] === undefined ? undefined : source.locate([...at, key]);
    if (loc !== undefined) where[key] = loc;
  }
  locations.set(trigger, where);
  return trigger;
}

function compileSources(list: ProblemList, sources: readonly YamlSource[]): TriggerDefinitions {
  const triggers: TriggerDefinition[] = [];
  for (const source of sources) {
    const issues = list.issuesFor(source);
    const value = source.value;
    if (value === null || value === undefined) {
      issues.problem([], 'expected a list of trigger definitions, got an empty document');
      continue;
    }
    if (!Array.isArray(value)) {
      issues.problem(
        [],
        `expected a list of trigger definitions ("- name: ..."), got ${describeType(value)}`,
      );
      continue;
    }
    value.forEach((raw: unknown, index) => {
      const before = list.problems.length;
      const trigger = compileTrigger(raw, index, source, issues);
      if (trigger === undefined || list.problems.length > before) return;
      const first = triggers.find((t) => t.name === trigger.name);
      if (first !== undefined) {
        issues.problem(
          [index, 'name'],
          `trigger "${trigger.name}" is already defined at ${first.source.file} [${first.source.index}]; trigger names must be unique`,
        );
        return;
      }
      triggers.push(trigger);
    });
  }
  list.throwIfProblems();
  return { triggers, warnings: list.sortedWarnings() };
}

/**
 * Load trigger definitions files (triggers.md; winchester's files load
 * unchanged). Names must be unique across all files. Throws one
 * {@link ConfigError} listing every problem of every file (file, path, line,
 * what is expected); what merely deserves a word comes back as `warnings`.
 *
 * ```ts
 * const { triggers, warnings } = loadTriggerDefinitions(['triggers.yaml', 'site-triggers.yaml']);
 * for (const w of warnings) log.warn(`${w.file}:${w.line}: ${w.path}: ${w.message}`);
 * triggers[0].matchCriteria[0].check(event); // undefined when it matches, else why not
 * ```
 */
export function loadTriggerDefinitions(files: string | readonly string[]): TriggerDefinitions {
  const list = new ProblemList();
  const sources = (typeof files === 'string' ? [files] : files).flatMap((f) => list.load(f) ?? []);
  return compileSources(list, sources);
}

/**
 * Compile trigger definitions from YAML text; `file` names it in messages.
 *
 * ```ts
 * const { triggers } = parseTriggerDefinitions('inline.yaml', `
 * - name: build_time
 *   distinguished_by: [instance_id]
 *   expiration: "$first + 4h"
 *   match_criteria: [{event_type: compute.instance.create.*}]
 *   fire_criteria: [{event_type: compute.instance.create.end}]
 *   fire_pipeline: build_time
 * `);
 * ```
 */
export function parseTriggerDefinitions(file: string, text: string): TriggerDefinitions {
  const list = new ProblemList();
  const source = list.parse(file, text);
  return compileSources(list, source === undefined ? [] : [source]);
}
