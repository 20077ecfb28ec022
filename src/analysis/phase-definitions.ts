import { unknownKeyMessage, type ConfigPath } from '../config/config-error.js';
import { ProblemList, type ConfigIssues } from '../config/problem-list.js';
import { describeType, isPlainObject, type YamlSource } from '../config/yaml-source.js';

/** Which of several matching events marks a phase edge: the earliest (`first`) or the latest (`last`). */
export type Occurrence = 'first' | 'last';

/** A trait condition of an edge: the trait equals one of `values` (numbers match number traits, text text). */
export interface EdgeTraitCondition {
  readonly trait: string;
  readonly values: readonly (string | number)[];
}

/** One edge (start or end) of a phase: an event type, optional trait conditions, which occurrence. */
export interface PhaseEdge {
  /** The event types (any of them). */
  readonly eventTypes: readonly string[];
  readonly traits: readonly EdgeTraitCondition[];
  readonly occurrence: Occurrence;
  /** Index into {@link PhaseSet.matchers}: edges with the same event type and conditions share it. */
  readonly matcher: number;
}

export interface PhaseDefinition {
  readonly name: string;
  readonly start: PhaseEdge;
  readonly end: PhaseEdge;
}

/** An event type and trait conditions, once per distinct pair in a set. */
export interface EventMatcher {
  readonly eventTypes: readonly string[];
  readonly traits: readonly EdgeTraitCondition[];
}

/**
 * A named set of phases of one kind of run (`testrun`, `openstack_build`):
 * the trait whose value groups events into a run, the run traits kept for
 * grouping and filtering, and the phases in display order.
 */
export interface PhaseSet {
  readonly name: string;
  /** The trait that names a run: `testrun_id`, `request_id`, `instance_id`. */
  readonly groupBy: string;
  /** Run traits reports may group and filter by (a run takes them from its earliest event: by timestamp, then message_id). */
  readonly traits: readonly string[];
  readonly phases: readonly PhaseDefinition[];
  /** The distinct (event type, trait conditions) of the phases' edges. */
  readonly matchers: readonly EventMatcher[];
  readonly description: string | undefined;
  /** The file it was loaded from. */
  readonly file: string;
}

const SET_KEYS = ['name', 'group_by', 'traits', 'phases', 'description'] as const;
const PHASE_KEYS = ['name', 'start', 'end'] as const;
const EDGE_KEYS = ['event_type', 'traits', 'occurrence'] as const;
const NAME_RE = /^[A-Za-z_][\w.-]*$/;

function isName(v: unknown): v is string {
  return typeof v === 'string' && NAME_RE.test(v);
}

function compileConditions(
  raw: unknown,
  at: ConfigPath,
  issues: ConfigIssues,
): EdgeTraitCondition[] | undefined {
  if (raw === undefined || raw === null) return [];
  if (!isPlainObject(raw)) {
    issues.problem(at, `expected a map of trait -> value (or list of values), got ${describeType(raw)}`);
    return undefined;
  }
  const out: EdgeTraitCondition[] = [];
  let ok = true;
  for (const [trait, value] of Object.entries(raw)) {
    const list: unknown[] = Array.isArray(value) ? value : [value];
    const good = list.length > 0 && list.every((v) => typeof v === 'string' || Number.isFinite(v));
    if (!good) {
      issues.problem(
        [...at, trait],
        `expected a text or number value, or a non-empty list of them, got ${describeType(value)}`,
      );
      ok = false;
      continue;
    }
    out.push({ trait, values: list as (string | number)[] });
  }
  return ok ? out.sort((a, b) => (a.trait < b.trait ? -1 : a.trait > b.trait ? 1 : 0)) : undefined;
}

function compileEdge(
  raw: unknown,
  at: ConfigPath,
  fallback: Occurrence,
  issues: ConfigIssues,
): Omit<PhaseEdge, 'matcher'> | undefined {
  if (typeof raw === 'string') {
    if (!checkEventType(raw, at, issues)) return undefined;
    return { eventTypes: [raw], traits: [], occurrence: fallback };
  }
  if (!isPlainObject(raw)) {
    issues.problem(
      at,
      `expected an event type such as "testrun.request", or {event_type, traits?, occurrence?}, got ${describeType(raw)}`,
    );
    return undefined;
  }
  let ok = true;
  for (const key of Object.keys(raw)) {
    if (!(EDGE_KEYS as readonly string[]).includes(key)) {
      issues.problem([...at, key], unknownKeyMessage(key, EDGE_KEYS));
      ok = false;
    }
  }
  const type = raw['event_type'];
  const types: string[] = [];
  if (type === undefined) {
    issues.problem(at, 'missing "event_type"; expected an event type such as "testrun.request"');
    ok = false;
  } else if (typeof type === 'string') {
    if (checkEventType(type, [...at, 'event_type'], issues)) types.push(type);
    else ok = false;
  } else if (Array.isArray(type) && type.length > 0) {
    type.forEach((t, i) => {
      if (typeof t !== 'string') {
        issues.problem([...at, 'event_type', i], `expected an event type (text), got ${describeType(t)}`);
        ok = false;
      } else if (checkEventType(t, [...at, 'event_type', i], issues)) types.push(t);
      else ok = false;
    });
  } else {
    issues.problem(
      [...at, 'event_type'],
      `expected an event type (text) or a non-empty list of them, got ${describeType(type)}`,
    );
    ok = false;
  }
  const traits = compileConditions(raw['traits'], [...at, 'traits'], issues);
  const occ = raw['occurrence'] ?? fallback;
  if (occ !== 'first' && occ !== 'last') {
    issues.problem([...at, 'occurrence'], `expected "first" or "last", got ${describeType(occ)}`);
    ok = false;
  }
  if (!ok || traits === undefined) return undefined;
  return { eventTypes: [...new Set(types)].sort(), traits, occurrence: occ as Occurrence };
}

function checkEventType(type: string, at: ConfigPath, issues: ConfigIssues): boolean {
  if (type === '') {
    issues.problem(at, 'expected an event type such as "testrun.request", got ""');
    return false;
  }
  if (/[*?[\]!]/.test(type)) {
    issues.problem(
      at,
      `"${type}" is a glob; a phase edge names one event type exactly (add a trait condition to narrow it)`,
    );
    return false;
  }
  return true;
}

function matcherKey(m: EventMatcher): string {
  return JSON.stringify([m.eventTypes, m.traits.map((t) => [t.trait, t.values])]);
}

function compileSet(
  raw: unknown,
  at: ConfigPath,
  file: string,
  issues: ConfigIssues,
  seen: Map<string, string>,
): PhaseSet | undefined {
  if (!isPlainObject(raw)) {
    issues.problem(at, `expected a phase set {name, group_by, traits?, phases}, got ${describeType(raw)}`);
    return undefined;
  }
  let ok = true;
  for (const key of Object.keys(raw)) {
    if (!(SET_KEYS as readonly string[]).includes(key)) {
      issues.problem([...at, key], unknownKeyMessage(key, SET_KEYS));
      ok = false;
    }
  }
  const name = raw['name'];
  if (!isName(name)) {
    issues.problem(
      [...at, 'name'],
      name === undefined
        ? 'missing "name"; expected a set name such as "testrun"'
        : `expected a name of letters, digits, "_", "-", "." (such as "testrun"), got ${describeType(name)}`,
    );
    ok = false;
  } else if (seen.has(name)) {
    issues.problem(
      [...at, 'name'],
      `phase set "${name}" is already defined (in ${seen.get(name)}); names must be unique`,
    );
    ok = false;
  } else seen.set(name, file);
  const groupBy = raw['group_by'];
  if (typeof groupBy !== 'string' || groupBy === '') {
    issues.problem(
      [...at, 'group_by'],
      groupBy === undefined
        ? 'missing "group_by"; expected the trait naming a run, such as testrun_id, request_id or instance_id'
        : `expected a trait name such as testrun_id, got ${describeType(groupBy)}`,
    );
    ok = false;
  }
  const traitsRaw = raw['traits'] ?? [];
  const traits: string[] = [];
  if (!Array.isArray(traitsRaw)) {
    issues.problem([...at, 'traits'], `expected a list of trait names, got ${describeType(traitsRaw)}`);
    ok = false;
  } else {
    traitsRaw.forEach((t, i) => {
      if (typeof t !== 'string' || t === '') {
        issues.problem([...at, 'traits', i], `expected a trait name, got ${describeType(t)}`);
        ok = false;
      } else if (t === groupBy) {
        issues.problem(
          [...at, 'traits', i],
          `"${t}" is the set's group_by trait; list other traits of the run`,
        );
        ok = false;
      } else if (traits.includes(t)) {
        issues.problem([...at, 'traits', i], `"${t}" is listed twice`);
        ok = false;
      } else traits.push(t);
    });
  }
  const description = raw['description'];
  if (description !== undefined && typeof description !== 'string') {
    issues.problem([...at, 'description'], `expected text, got ${describeType(description)}`);
    ok = false;
  }
  const phasesRaw = raw['phases'];
  const phases: PhaseDefinition[] = [];
  const matchers: EventMatcher[] = [];
  const matcherIndex = new Map<string, number>();
  const matcherOf = (m: EventMatcher): number => {
    const key = matcherKey(m);
    let i = matcherIndex.get(key);
    if (i === undefined) {
      i = matchers.length;
      matchers.push({ eventTypes: m.eventTypes, traits: m.traits });
      matcherIndex.set(key, i);
    }
    return i;
  };
  if (!Array.isArray(phasesRaw) || phasesRaw.length === 0) {
    issues.problem(
      [...at, 'phases'],
      phasesRaw === undefined
        ? 'missing "phases"; expected a list of {name, start, end}'
        : `expected a non-empty list of {name, start, end}, got ${describeType(phasesRaw)}`,
    );
    ok = false;
  } else {
    const names = new Set<string>();
    phasesRaw.forEach((p, i) => {
      const pat: ConfigPath = [...at, 'phases', i];
      if (!isPlainObject(p)) {
        issues.problem(pat, `expected a phase {name, start, end}, got ${describeType(p)}`);
        ok = false;
        return;
      }
      for (const key of Object.keys(p)) {
        if (!(PHASE_KEYS as readonly string[]).includes(key)) {
          issues.problem([...pat, key], unknownKeyMessage(key, PHASE_KEYS));
          ok = false;
        }
      }
      const pname = p['name'];
      if (!isName(pname)) {
        issues.problem(
          [...pat, 'name'],
          pname === undefined
            ? 'missing "name"; expected a phase name such as "flash"'
            : `expected a name of letters, digits, "_", "-", "." (such as "flash"), got ${describeType(pname)}`,
        );
        ok = false;
      } else if (names.has(pname)) {
        issues.problem([...pat, 'name'], `phase "${pname}" is defined twice in this set`);
        ok = false;
      } else names.add(pname);
      const edges: (Omit<PhaseEdge, 'matcher'> | undefined)[] = [];
      for (const [key, fallback] of [
        ['start', 'first'],
        ['end', 'last'],
      ] as const) {
        if (p[key] === undefined) {
          issues.problem(pat, `missing "${key}"; expected the event type that ${key}s the phase`);
          ok = false;
          edges.push(undefined);
        } else edges.push(compileEdge(p[key], [...pat, key], fallback, issues));
      }
      const [start, end] = edges;
      if (start === undefined || end === undefined || !isName(pname)) {
        ok = false;
        return;
      }
      phases.push({
        name: pname,
        start: { ...start, matcher: matcherOf(start) },
        end: { ...end, matcher: matcherOf(end) },
      });
    });
  }
  if (!ok) return undefined;
  return {
    name: name as string,
    groupBy: groupBy as string,
    traits,
    phases,
    matchers,
    description: description as string | undefined,
    file,
  };
}

function compileSources(list: ProblemList, sources: readonly YamlSource[]): PhaseSet[] {
  const sets: PhaseSet[] = [];
  const seen = new Map<string, string>();
  for (const source of sources) {
    const issues = list.issuesFor(source);
    const v = source.value;
    if (!Array.isArray(v)) {
      issues.problem(
        [],
        `expected a list of phase sets ({name, group_by, traits?, phases}), got ${describeType(v)}`,
      );
      continue;
    }
    v.forEach((raw, i) => {
      const set = compileSet(raw, [i], source.file, issues, seen);
      if (set !== undefined) sets.push(set);
    });
  }
  list.throwIfProblems();
  return sets;
}

/**
 * Load phases files: each a YAML list of phase sets. Throws one `ConfigError`
 * listing every problem of every file (file, line, path, what is expected).
 *
 * ```yaml
 * - name: testrun
 *   group_by: testrun_id
 *   traits: [device_group, queue, configuration]
 *   phases:
 *     - {name: queue, start: testrun.queue_start, end: testrun.queue_end}
 *     - name: spawning
 *       start: {event_type: compute.instance.update, traits: {new_task_state: spawning}, occurrence: first}
 *       end: {event_type: compute.instance.update, traits: {old_task_state: spawning}}
 * ```
 *
 * ```ts
 * const [testrun] = loadPhaseSets(['definitions/phases.yaml']);
 * testrun.phases.map((p) => p.name); // ['initialisation', 'queue', …]
 * ```
 */
export function loadPhaseSets(files: readonly string[]): PhaseSet[] {
  const list = new ProblemList();
  const sources = files.flatMap((f) => list.load(f) ?? []);
  return compileSources(list, sources);
}

/** Phase sets from YAML text; `file` names it in messages. */
export function parsePhaseSets(file: string, text: string): PhaseSet[] {
  const list = new ProblemList();
  const source = list.parse(file, text);
  return compileSources(list, source === undefined ? [] : [source]);
}

/** Whether an event's traits satisfy a matcher's conditions (its type already matched). */
export function conditionsHold(
  conditions: readonly EdgeTraitCondition[],
  traits: Readonly<Record<string, unknown>>,
): boolean {
  for (const c of conditions) {
    const v = traits[c.trait];
    if (typeof v !== 'string' && typeof v !== 'number') return false;
    if (!c.values.includes(v)) return false;
  }
  return true;
}
