import {
  didYouMean,
  formatConfigPath,
  unknownKeyMessage,
  type ConfigPath,
  type ConfigProblem,
} from '../config/config-error.js';
import { ProblemList, type ConfigIssues } from '../config/problem-list.js';
import { describeType, isPlainObject, type YamlSource } from '../config/yaml-source.js';
import { triggerKeyLocation } from '../engine/trigger-definitions.js';
import type { TriggerDefinition } from '../engine/trigger.js';
import type { HandlerEntry, HandlerSpec, PipelineDefinition } from './handler.js';

/** winchester's handler names -> waymark's built-ins (a registry entry of the old name wins). */
export const HANDLER_ALIASES: Readonly<Record<string, string>> = Object.freeze({
  notabene: 'publish',
  atompub: 'webhook',
});

/** waymark's built-in handlers (triggers.md). */
export const BUILTIN_HANDLER_NAMES = ['logger', 'meter', 'count', 'webhook', 'usage', 'publish'] as const;

const ENTRY_KEYS = ['name', 'params'] as const;

/** The spec a handler name stands for: itself in the registry, else its winchester alias. */
function lookup(registry: ReadonlyMap<string, HandlerSpec>, name: string): HandlerSpec | undefined {
  const own = registry.get(name);
  if (own !== undefined) return own;
  const alias = Object.hasOwn(HANDLER_ALIASES, name) ? HANDLER_ALIASES[name] : undefined;
  return alias === undefined ? undefined : registry.get(alias);
}

function compileEntry(
  raw: unknown,
  at: ConfigPath,
  registry: ReadonlyMap<string, HandlerSpec>,
  issues: ConfigIssues,
): HandlerEntry | undefined {
  let name: unknown = raw;
  let params: Record<string, unknown> = {};
  if (isPlainObject(raw)) {
    let ok = true;
    for (const key of Object.keys(raw)) {
      if (!(ENTRY_KEYS as readonly string[]).includes(key)) {
        issues.problem([...at, key], unknownKeyMessage(key, ENTRY_KEYS));
        ok = false;
      }
    }
    name = raw['name'];
    if (name === undefined) {
      issues.problem(at, 'missing "name"; expected {name: HANDLER, params: {...}}');
      return undefined;
    }
    const p = raw['params'];
    if (isPlainObject(p)) params = p;
    else if (p !== undefined && p !== null) {
      issues.problem([...at, 'params'], `expected a map of parameter -> value, got ${describeType(p)}`);
      ok = false;
    }
    if (!ok) return undefined;
  } else if (typeof raw !== 'string') {
    issues.problem(at, `expected a handler name or {name, params}, got ${describeType(raw)}`);
    return undefined;
  }
  const namePath: ConfigPath = isPlainObject(raw) ? [...at, 'name'] : at;
  if (typeof name !== 'string' || name === '') {
    issues.problem(namePath, `expected a handler name (a string), got ${describeType(name)}`);
    return undefined;
  }
  const spec = lookup(registry, name);
  if (spec === undefined) {
    const known = [...registry.keys(), ...Object.keys(HANDLER_ALIASES).filter((a) => lookup(registry, a))];
    const guess = didYouMean(name, known);
    issues.problem(
      namePath,
      `unknown handler "${name}"${guess === undefined ? '' : ` (did you mean "${guess}"?)`}; expected one of ${known.join(', ')} (or add it under pipeline_handlers in waymark.yaml)`,
    );
    return undefined;
  }
  let problems;
  try {
    problems = spec.validate(params);
  } catch (err) {
    issues.problem([...at, 'params'], `handler ${name}: cannot check params: ${(err as Error).message}`);
    return undefined;
  }
  for (const p of problems) issues.problem([...at, 'params', ...p.path], `${name}: ${p.message}`);
  return problems.length > 0 ? undefined : { spec, params };
}

function compileSources(
  list: ProblemList,
  sources: readonly YamlSource[],
  registry: ReadonlyMap<string, HandlerSpec>,
): Map<string, PipelineDefinition> {
  const out = new Map<string, PipelineDefinition>();
  for (const source of sources) {
    const issues = list.issuesFor(source);
    const value = source.value;
    if (!isPlainObject(value)) {
      issues.problem(
        [],
        `expected a map of pipeline name -> list of handlers ("my_pipeline: [logger]"), got ${value === undefined || value === null ? 'an empty document' : describeType(value)}`,
      );
      continue;
    }
    for (const [name, handlers] of Object.entries(value)) {
      const at: ConfigPath = [name];
      if (!Array.isArray(handlers)) {
        issues.problem(
          at,
          `expected a list of handlers (names or {name, params}), got ${describeType(handlers)}`,
        );
        continue;
      }
      const entries: HandlerEntry[] = [];
      let ok = true;
      handlers.forEach((raw: unknown, i) => {
        const entry = compileEntry(raw, [...at, i], registry, issues);
        if (entry === undefined) ok = false;
        else entries.push(entry);
      });
      const first = out.get(name);
      if (first !== undefined) {
        issues.problem(
          at,
          `pipeline "${name}" is already defined in ${first.source.file}; pipeline names must be unique`,
        );
        continue;
      }
      if (ok) out.set(name, { name, handlers: entries, source: { file: source.file } });
    }
  }
  list.throwIfProblems();
  return out;
}

/**
 * Load pipeline definitions files (a YAML map: name -> list of handler entries,
 * each a handler name or `{name, params}`), checking every handler name against
 * `registry` (winchester's `notabene` and `atompub` are aliases of `publish` and
 * `webhook`) and every `params` with the handler's `validate`. Throws one
 * {@link ConfigError} with every problem of every file.
 *
 * ```ts
 * const pipelines = loadPipelineDefinitions('pipelines.yaml', registry);
 * pipelines.get('build_time')?.handlers.map((h) => h.spec.name); // ['meter']
 * ```
 */
export function loadPipelineDefinitions(
  files: string | readonly string[],
  registry: ReadonlyMap<string, HandlerSpec>,
): Map<string, PipelineDefinition> {
  const list = new ProblemList();
  const sources = (typeof files === 'string' ? [files] : files).flatMap((f) => list.load(f) ?? []);
  return compileSources(list, sources, registry);
}

/**
 * Pipeline definitions from YAML text; `file` names it in messages.
 *
 * ```ts
 * parsePipelineDefinitions('inline.yaml', 'audit: [logger, usage]\n', registry);
 * ```
 */
export function parsePipelineDefinitions(
  file: string,
  text: string,
  registry: ReadonlyMap<string, HandlerSpec>,
): Map<string, PipelineDefinition> {
  const list = new ProblemList();
  const source = list.parse(file, text);
  return compileSources(list, source === undefined ? [] : [source], registry);
}

/**
 * The `fire_pipeline` / `expire_pipeline` names of triggers that no pipeline
 * defines, as problems (file, path, line when known, the closest name).
 * `triggerFileOf` renames the file in messages (default: where the trigger was loaded from).
 *
 * ```ts
 * const problems = checkTriggerPipelines(triggers, pipelines);
 * if (problems.length > 0) throw new ConfigError(problems);
 * ```
 */
export function checkTriggerPipelines(
  triggers: readonly TriggerDefinition[],
  pipelines: ReadonlyMap<string, PipelineDefinition>,
  triggerFileOf: (trigger: TriggerDefinition) => string = (t) => t.source.file,
): ConfigProblem[] {
  const names = [...pipelines.keys()];
  const problems: ConfigProblem[] = [];
  for (const t of triggers) {
    for (const key of ['fire_pipeline', 'expire_pipeline'] as const) {
      const name = key === 'fire_pipeline' ? t.firePipeline : t.expirePipeline;
      if (name === undefined || pipelines.has(name)) continue;
      const guess = didYouMean(name, names);
      problems.push({
        file: triggerFileOf(t),
        path: formatConfigPath([t.source.index, key]),
        message: `trigger ${t.name}: pipeline "${name}" is not defined${guess === undefined ? '' : ` (did you mean "${guess}"?)`}; defined pipelines: ${names.length === 0 ? '(none)' : names.join(', ')}`,
        ...(triggerKeyLocation(t, key) ?? {}),
      });
    }
  }
  return problems;
}
