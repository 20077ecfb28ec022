import { readFileSync } from 'node:fs';
import { ConfigError, type ConfigProblem } from '../config/config-error.js';
import { YamlSource } from '../config/yaml-source.js';
import type { WaymarkEvent } from '../model/event.js';
import { Instant } from '../model/instant.js';
import { SIMULATED_RECEIVED_FIELD, unwrapNotification, type Notification } from '../model/notification.js';
import { traitsFunction, type ErrorCounter, type TraitsFunction } from './traits-function.js';
import { parseDatetime } from './fast-time.js';
import {
  catchAllDefinition,
  compileDefinitions,
  type CompiledDefinition,
  type DefinitionsText,
} from './definitions.js';
import { BUILTIN_PLUGINS, type TraitPluginFactory } from './plugins.js';

/** Options of a {@link Distiller}. */
export interface DistillerOptions {
  /**
   * Keep notifications that no definition matches, with the envelope fields only
   * (`message_id`, `event_type`, `timestamp`, `received` and the default traits
   * `service`, `request_id`, `tenant_id`). Default: drop them (`no_definition`).
   */
  catchAll?: boolean;
  /** Extra trait plugins by name; a name used by a built-in (`split`, `bitfield`, `timedelta`) replaces it. */
  plugins?: Record<string, TraitPluginFactory>;
}

/**
 * What became of one notification:
 * - `event`: distilled; `conversionErrors` counts trait values that were there
 *   but could not be converted to the trait's type (those traits are omitted);
 * - `no_definition`: no definition matches its event type (and no catch-all);
 * - `bad`: not a notification (not an object, bad oslo envelope, missing or
 *   non-string `event_type`/`message_id`, no usable timestamp, not JSON).
 */
export type DistillOutcome =
  | { status: 'event'; event: WaymarkEvent; conversionErrors: number }
  | { status: 'no_definition'; event_type: string }
  | { status: 'bad'; reason: string };

/** Where a definition came from: its file, its index there, its event type globs. */
export interface DefinitionInfo {
  file: string;
  index: number;
  eventTypes: readonly string[];
}

/** Event types repeat (a cloud emits a few dozen); the decision per type is cached, up to this many types. */
const CACHE_LIMIT = 4096;

function bad(reason: string): DistillOutcome {
  return { status: 'bad', reason };
}

function what(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v;
}

/** Read a file, or collect the problem (YamlSource says what is wrong) so every file is still checked. */
function readDefinitions(file: string, problems: ConfigProblem[]): DefinitionsText | undefined {
  try {
    return { file, text: readFileSync(file, 'utf8') };
  } catch {
    try {
      YamlSource.load(file);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems.push(...err.problems);
    }
    return undefined;
  }
}

/**
 * Turns raw notifications into flat, typed events with StackTach/Ceilometer
 * event definitions. Everything is compiled at load (globs, paths, plugins);
 * per notification only the matched definition's traits are read.
 *
 * ```ts
 * const distiller = Distiller.load(BUNDLED_DEFINITIONS);
 * const out = distiller.distillLine(line);
 * if (out.status === 'event') console.log(out.event.traits['instance_id']);
 * ```
 */
export class Distiller {
  private readonly cache = new Map<string, CompiledDefinition | null>();
  private readonly catchAll: CompiledDefinition | undefined;
  private readonly functions = new Map<CompiledDefinition, TraitsFunction>();
  private readonly errors: ErrorCounter = { count: 0 };

  private constructor(
    private readonly definitions: readonly CompiledDefinition[],
    options: DistillerOptions,
  ) {
    this.catchAll = options.catchAll === true ? catchAllDefinition() : undefined;
  }

  /**
   * Load one or more definitions files. Several files are concatenated in order,
   * so definitions in later files are searched first. Every problem of every file
   * is reported in one {@link ConfigError} (file, path, line, what is expected).
   *
   * ```ts
   * const d = Distiller.load(['base.yaml', 'site-overrides.yaml'], { catchAll: true });
   * ```
   */
  static load(files: string | readonly string[], options: DistillerOptions = {}): Distiller {
    const list = typeof files === 'string' ? [files] : files;
    const problems: ConfigProblem[] = [];
    const texts = list.flatMap((f) => readDefinitions(f, problems) ?? []);
    return Distiller.compile(texts, options, problems);
  }

  /**
   * Compile definitions from YAML text; `file` names it in error messages.
   *
   * ```ts
   * const d = Distiller.fromText('- event_type: compute.instance.*\n  traits:\n    host: {fields: payload.host}\n');
   * ```
   */
  static fromText(text: string, file = '<definitions>', options: DistillerOptions = {}): Distiller {
    return Distiller.compile([{ file, text }], options);
  }

  private static compile(
    inputs: readonly DefinitionsText[],
    options: DistillerOptions,
    problems: readonly ConfigProblem[] = [],
  ): Distiller {
    const plugins = { ...BUILTIN_PLUGINS, ...(options.plugins ?? {}) };
    return new Distiller(compileDefinitions(inputs, plugins, problems), options);
  }

  /** How many definitions were loaded. */
  get size(): number {
    return this.definitions.length;
  }

  /** The definition used for an event type (searched from the last to the first), if any. */
  definitionFor(eventType: string): DefinitionInfo | undefined {
    const d = this.lookup(eventType);
    return d === null ? undefined : { file: d.file, index: d.index, eventTypes: d.eventTypes };
  }

  /** The generated trait reader of a definition, made when the definition is first used. */
  private traitsOf(def: CompiledDefinition): TraitsFunction {
    let fn = this.functions.get(def);
    if (fn === undefined) {
      fn = traitsFunction(def.traits);
      this.functions.set(def, fn);
    }
    return fn;
  }

  private lookup(eventType: string): CompiledDefinition | null {
    const cached = this.cache.get(eventType);
    if (cached !== undefined) return cached;
    let found: CompiledDefinition | null = null;
    for (let i = this.definitions.length - 1; i >= 0; i--) {
      const d = this.definitions[i] as CompiledDefinition;
      if (d.matches(eventType)) {
        found = d;
        break;
      }
    }
    if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
    this.cache.set(eventType, found);
    return found;
  }

  /**
   * Distill one notification (a parsed JSON value: a bare notification or an
   * oslo v2 envelope). `received` defaults to now, unless the notification
   * carries the generator's simulated receive time (`_waymark_received`).
   * Never throws for bad input: it says so in the outcome.
   */
  distill(input: unknown, received?: Instant): DistillOutcome {
    if (input === null || typeof input !== 'object' || Array.isArray(input)) {
      return bad(`expected a JSON object, got ${what(input)}`);
    }
    let n = input as Notification;
    if (n['oslo.message'] !== undefined) {
      try {
        n = unwrapNotification(n);
      } catch (err) {
        return bad((err as Error).message);
      }
    }
    const eventType = n['event_type'];
    if (typeof eventType !== 'string' || eventType === '') {
      return bad(
        eventType === undefined
          ? 'missing "event_type"'
          : `"event_type" must be a non-empty string, got ${what(eventType)}`,
      );
    }
    const messageId = n['message_id'];
    if (typeof messageId !== 'string' || messageId === '') {
      return bad(
        messageId === undefined
          ? 'missing "message_id"'
          : `"message_id" must be a non-empty string, got ${what(messageId)}`,
      );
    }
    const timestamp = parseDatetime(n['timestamp']) ?? parseDatetime(n['_context_timestamp']);
    if (timestamp === undefined) {
      return bad(
        n['timestamp'] === undefined && n['_context_timestamp'] === undefined
          ? 'missing "timestamp" (and "_context_timestamp")'
          : `no usable timestamp: "timestamp" is ${JSON.stringify(n['timestamp'])}`,
      );
    }
    const def = this.lookup(eventType) ?? this.catchAll;
    if (def === undefined) return { status: 'no_definition', event_type: eventType };

    const simulated = (input as Notification)[SIMULATED_RECEIVED_FIELD] ?? n[SIMULATED_RECEIVED_FIELD];
    const at = (simulated === undefined ? undefined : parseDatetime(simulated)) ?? received ?? Instant.now();

    const errors = this.errors;
    errors.count = 0;
    const traits = this.traitsOf(def)(n, errors);
    const conversionErrors = errors.count;
    return {
      status: 'event',
      event: { message_id: messageId, event_type: eventType, timestamp, received: at, traits },
      conversionErrors,
    };
  }

  /** Parse one JSON line and distill it; a line that is not JSON is `bad`. */
  distillLine(line: string, received?: Instant): DistillOutcome {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      return bad(`not JSON: ${(err as Error).message}`);
    }
    return this.distill(value, received);
  }
}
