import { ConfigError, didYouMean, formatConfigPath, unknownKeyMessage } from '../config/config-error.js';
import type { ConfigPath, ConfigProblem } from '../config/config-error.js';
import { YamlSource, describeType, isPlainObject } from '../config/yaml-source.js';
import type { TraitType } from '../model/event.js';
import type { Notification } from '../model/notification.js';
import { CONVERSION_FAILED, converterFor, TRAIT_TYPES, type Converter } from './convert.js';
import { compileGlob, eventTypeMatcher, type EventTypeMatcher } from './glob.js';
import { MergeAwareLocator } from './locate.js';
import { compilePath, type CompiledPath } from './path.js';
import {
  BUILTIN_PLUGINS,
  perValueOf,
  type TraitPlugin,
  type TraitPluginFactory,
  type TraitPluginMatch,
} from './plugins.js';

/** One trait of a definition, compiled: `extract` reads the raw value, `convert` types it. */
export interface CompiledTrait {
  readonly name: string;
  readonly type: TraitType;
  /** The raw value, or `undefined` when absent. */
  readonly extract: (n: Notification) => unknown;
  readonly convert: Converter;
  /**
   * When every path is a plain key path and there is no plugin (or a per-value
   * one such as split): the key paths, so the distiller can inline the reads.
   */
  readonly inline?: { paths: readonly (readonly string[])[]; perValue?: (v: unknown) => unknown };
}

/** One definition, compiled, with the default traits folded in. */
export interface CompiledDefinition {
  readonly file: string;
  /** Index in its file. */
  readonly index: number;
  readonly eventTypes: readonly string[];
  readonly matches: EventTypeMatcher;
  readonly traits: readonly CompiledTrait[];
}

/** What people write for the trait types, for "did you mean". */
const TYPE_ALIASES: Readonly<Record<string, TraitType>> = {
  integer: 'int',
  long: 'int',
  number: 'float',
  double: 'float',
  str: 'text',
  string: 'text',
  date: 'datetime',
  time: 'datetime',
  timestamp: 'datetime',
};

const DEFINITION_KEYS = ['event_type', 'traits'] as const;
const TRAIT_KEYS = ['fields', 'type', 'plugin'] as const;
const PLUGIN_KEYS = ['name', 'parameters'] as const;

interface PendingProblem {
  path: ConfigPath;
  message: string;
  /** Point into the scalar value at `path`, this many characters in. */
  offset?: number;
}

interface TraitSpec {
  fields: string | readonly string[];
  type?: TraitType;
  plugin?: string;
}

/** Every definition gets these unless it defines a trait of the same name. */
const DEFAULT_TRAIT_SPECS: Readonly<Record<string, TraitSpec>> = {
  service: { fields: 'publisher_id', plugin: 'split' },
  request_id: { fields: '_context_request_id' },
  tenant_id: { fields: ['payload.tenant_id', '_context_tenant'] },
};

function makeExtract(
  paths: readonly CompiledPath[],
  plugin: TraitPlugin | undefined,
): (n: Notification) => unknown {
  const perValue = perValueOf(plugin);
  if (perValue !== undefined && paths.every((p) => !p.multi)) {
    return (n) => {
      for (const p of paths) {
        const v = p.get(n);
        if (v === undefined) continue;
        const r = perValue(v);
        if (r !== undefined && r !== null) return r;
      }
      return undefined;
    };
  }
  if (plugin !== undefined) {
    return (n) => {
      const matches: TraitPluginMatch[] = [];
      const tmp: unknown[] = [];
      for (const p of paths) {
        tmp.length = 0;
        p.collect(n, tmp);
        for (const value of tmp) matches.push({ path: p.text, value });
      }
      try {
        const v = plugin(matches);
        return v === null ? undefined : v;
      } catch {
        // A plugin that throws on a value is a conversion error, never a crash.
        return CONVERSION_FAILED;
      }
    };
  }
  if (paths.length === 1) return (paths[0] as CompiledPath).get;
  return (n) => {
    for (const p of paths) {
      const v = p.get(n);
      if (v !== undefined) return v;
    }
    return undefined;
  };
}

let defaults: readonly CompiledTrait[] | undefined;

/** The default traits, compiled once with the built-in plugins. */
function defaultTraits(): readonly CompiledTrait[] {
  if (defaults === undefined) {
    const compiler = new FileCompiler('<default traits>', BUILTIN_PLUGINS);
    defaults = Object.entries(DEFAULT_TRAIT_SPECS).map(
      ([name, spec]) => compiler.compileTrait(name, spec, [name]) as CompiledTrait,
    );
  }
  return defaults;
}

/** Validates and compiles one file's definitions, recording problems instead of throwing. */
class FileCompiler {
  readonly problems: PendingProblem[] = [];

  constructor(
    private readonly file: string,
    private readonly plugins: Readonly<Record<string, TraitPluginFactory>>,
  ) {}

  private problem(path: ConfigPath, message: string, offset?: number): void {
    this.problems.push(offset === undefined ? { path, message } : { path, message, offset });
  }

  compileFile(value: unknown): CompiledDefinition[] {
    if (!Array.isArray(value)) {
      this.problem(
        [],
        `expected a list of event definitions ("- event_type: ...\\n  traits: ..."), got ${value === undefined || value === null ? 'an empty document' : describeType(value)}`,
      );
      return [];
    }
    const out: CompiledDefinition[] = [];
    value.forEach((d: unknown, i) => {
      const def = this.compileDefinition(d, i);
      if (def !== undefined) out.push(def);
    });
    return out;
  }

  private compileDefinition(d: unknown, index: number): CompiledDefinition | undefined {
    const at: ConfigPath = [index];
    if (!isPlainObject(d)) {
      this.problem(at, `expected a definition {event_type, traits}, got ${describeType(d)}`);
      return undefined;
    }
    const before = this.problems.length;
    for (const key of Object.keys(d)) {
      if (!(DEFINITION_KEYS as readonly string[]).includes(key))
        this.problem([...at, key], unknownKeyMessage(key, DEFINITION_KEYS));
    }
    const globs = this.compileEventTypes(d['event_type'], at);
    const traits: CompiledTrait[] = [];
    const raw = d['traits'];
    if (raw === undefined) {
      this.problem(at, 'missing "traits"; expected a map of trait name -> {fields, type, plugin}');
    } else if (!isPlainObject(raw)) {
      this.problem(
        [...at, 'traits'],
        `expected a map of trait name -> {fields, type, plugin}, got ${describeType(raw)}`,
      );
    } else {
      for (const [name, spec] of Object.entries(raw)) {
        if (name === '__proto__') {
          this.problem(
            [...at, 'traits', name],
            'the trait name "__proto__" is reserved; choose another name',
          );
          continue;
        }
        const t = this.compileTrait(name, spec, [...at, 'traits', name]);
        if (t !== undefined) traits.push(t);
      }
    }
    if (this.problems.length > before || globs === undefined) return undefined;
    for (const t of defaultTraits()) if (!traits.some((own) => own.name === t.name)) traits.push(t);
    return {
      file: this.file,
      index,
      eventTypes: globs.texts,
      matches: eventTypeMatcher(globs.includes, globs.excludes),
      traits,
    };
  }

  private compileEventTypes(
    v: unknown,
    at: ConfigPath,
  ): { texts: string[]; includes: RegExp[]; excludes: RegExp[] } | undefined {
    if (v === undefined) {
      this.problem(
        at,
        'missing "event_type"; expected a glob such as "compute.instance.*" or a list of globs',
      );
      return undefined;
    }
    const list = typeof v === 'string' ? [v] : v;
    if (!Array.isArray(list) || list.length === 0) {
      this.problem(
        [...at, 'event_type'],
        `expected a glob or a non-empty list of globs, got ${describeType(v)}`,
      );
      return undefined;
    }
    const out = { texts: [] as string[], includes: [] as RegExp[], excludes: [] as RegExp[] };
    let ok = true;
    list.forEach((g: unknown, k) => {
      const path: ConfigPath = typeof v === 'string' ? [...at, 'event_type'] : [...at, 'event_type', k];
      if (typeof g !== 'string') {
        this.problem(path, `expected a glob (a string), got ${describeType(g)}`);
        ok = false;
        return;
      }
      const exclude = g.startsWith('!');
      const re = compileGlob(exclude ? g.slice(1) : g);
      if (!(re instanceof RegExp)) {
        this.problem(path, re.message, re.column - 1 + (exclude ? 1 : 0));
        ok = false;
        return;
      }
      out.texts.push(g);
      (exclude ? out.excludes : out.includes).push(re);
    });
    return ok ? out : undefined;
  }

  compileTrait(name: string, spec: unknown, at: ConfigPath): CompiledTrait | undefined {
    if (!isPlainObject(spec)) {
      this.problem(at, `expected a trait definition {fields, type?, plugin?}, got ${describeType(spec)}`);
      return undefined;
    }
    const before = this.problems.length;
    for (const key of Object.keys(spec)) {
      if (!(TRAIT_KEYS as readonly string[]).includes(key))
        this.problem([...at, key], unknownKeyMessage(key, TRAIT_KEYS));
    }
    let type: TraitType = 'text';
    const rawType = spec['type'];
    if (rawType !== undefined) {
      if (typeof rawType === 'string' && (TRAIT_TYPES as readonly string[]).includes(rawType))
        type = rawType as TraitType;
      else {
        const guess =
          typeof rawType === 'string'
            ? Object.hasOwn(TYPE_ALIASES, rawType.toLowerCase())
              ? TYPE_ALIASES[rawType.toLowerCase()]
              : didYouMean(rawType, TRAIT_TYPES)
            : undefined;
        this.problem(
          [...at, 'type'],
          `unknown type ${JSON.stringify(rawType)}${guess === undefined ? '' : ` (did you mean "${guess}"?)`}; expected one of ${TRAIT_TYPES.join(', ')}`,
        );
      }
    }
    const paths = this.compileFields(spec['fields'], at);
    const plugin = paths === undefined ? undefined : this.compilePlugin(spec['plugin'], name, paths, at);
    if (this.problems.length > before || paths === undefined) return undefined;
    const perValue = perValueOf(plugin);
    const inlinable =
      paths.every((p) => p.keys !== undefined) && (plugin === undefined || perValue !== undefined);
    return {
      name,
      type,
      extract: makeExtract(paths, plugin),
      convert: converterFor(type),
      ...(inlinable
        ? {
            inline: {
              paths: paths.map((p) => p.keys as readonly string[]),
              ...(perValue ? { perValue } : {}),
            },
          }
        : {}),
    };
  }

  private compileFields(v: unknown, at: ConfigPath): CompiledPath[] | undefined {
    if (v === undefined || v === null) {
      this.problem(at, 'missing "fields"; expected a path such as "payload.instance_id" or a list of paths');
      return undefined;
    }
    const list = typeof v === 'string' ? [v] : v;
    if (!Array.isArray(list) || list.length === 0) {
      this.problem([...at, 'fields'], `expected a path or a non-empty list of paths, got ${describeType(v)}`);
      return undefined;
    }
    const out: CompiledPath[] = [];
    let ok = true;
    list.forEach((p: unknown, k) => {
      const path: ConfigPath = typeof v === 'string' ? [...at, 'fields'] : [...at, 'fields', k];
      if (typeof p !== 'string') {
        this.problem(path, `expected a path (a string), got ${describeType(p)}`);
        ok = false;
        return;
      }
      const c = compilePath(p);
      if ('message' in c) {
        this.problem(path, c.message, c.column - 1);
        ok = false;
      } else out.push(c);
    });
    return ok ? out : undefined;
  }

  private compilePlugin(
    v: unknown,
    trait: string,
    paths: readonly CompiledPath[],
    at: ConfigPath,
  ): TraitPlugin | undefined {
    if (v === undefined || v === null) return undefined;
    const pat: ConfigPath = [...at, 'plugin'];
    let name: unknown = v;
    let params: Record<string, unknown> = {};
    if (isPlainObject(v)) {
      for (const key of Object.keys(v)) {
        if (!(PLUGIN_KEYS as readonly string[]).includes(key))
          this.problem([...pat, key], unknownKeyMessage(key, PLUGIN_KEYS));
      }
      name = v['name'];
      const p = v['parameters'];
      if (isPlainObject(p)) params = p;
      else if (p !== undefined && p !== null) {
        this.problem([...pat, 'parameters'], `expected a map of parameter -> value, got ${describeType(p)}`);
        return undefined;
      }
      if (name === undefined) {
        this.problem(pat, 'missing "name"; expected {name: PLUGIN, parameters: {...}}');
        return undefined;
      }
    }
    const names = Object.keys(this.plugins);
    if (typeof name !== 'string' || !Object.hasOwn(this.plugins, name)) {
      const guess = typeof name === 'string' ? didYouMean(name, names) : undefined;
      this.problem(
        isPlainObject(v) ? [...pat, 'name'] : pat,
        `unknown plugin ${JSON.stringify(name)}${guess === undefined ? '' : ` (did you mean "${guess}"?)`}; expected one of ${names.join(', ')}`,
      );
      return undefined;
    }
    const factory = this.plugins[name] as TraitPluginFactory;
    try {
      return factory(params, {
        trait,
        fields: paths.map((p) => p.text),
        problem: (parameter, message) => {
          const rel = typeof parameter === 'string' ? [parameter] : parameter;
          this.problem(rel.length === 0 ? pat : [...pat, 'parameters', ...rel], `plugin ${name}: ${message}`);
        },
      });
    } catch (cause) {
      this.problem(pat, `plugin ${name}: ${cause instanceof Error ? cause.message : String(cause)}`);
      return undefined;
    }
  }
}

/** A definitions file's name and text. */
export interface DefinitionsText {
  file: string;
  text: string;
}

/**
 * Validate and compile definitions files, in order. Throws one {@link ConfigError}
 * with every problem of every file (file, path, line, column, what is expected).
 */
export function compileDefinitions(
  inputs: readonly DefinitionsText[],
  plugins: Readonly<Record<string, TraitPluginFactory>>,
  earlier: readonly ConfigProblem[] = [],
): CompiledDefinition[] {
  const problems: ConfigProblem[] = [...earlier];
  const out: CompiledDefinition[] = [];
  for (const { file, text } of inputs) {
    let source: YamlSource;
    try {
      source = YamlSource.parse(file, text);
    } catch (err) {
      if (err instanceof ConfigError) {
        problems.push(...err.problems);
        continue;
      }
      throw err;
    }
    const compiler = new FileCompiler(file, plugins);
    out.push(...compiler.compileFile(source.value));
    if (compiler.problems.length === 0) continue;
    const locator = new MergeAwareLocator(text);
    const seen = new Set<string>();
    for (const p of compiler.problems) {
      const at = locator.locate(p.path, p.offset === undefined ? undefined : { offset: p.offset });
      // A trait inherited through an anchor is checked once per definition that merges it; say it once.
      const key = `${at?.line}:${at?.column}:${p.message}`;
      if (at !== undefined && seen.has(key)) continue;
      seen.add(key);
      problems.push({ file, path: formatConfigPath(p.path), message: p.message, ...(at ?? {}) });
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return out;
}

/** The default traits as a compiled list (for notifications without a definition, with a catch-all). */
export function catchAllDefinition(): CompiledDefinition {
  return { file: '<catch-all>', index: 0, eventTypes: ['*'], matches: () => true, traits: defaultTraits() };
}
