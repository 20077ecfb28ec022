import { access } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { WaymarkEvent } from '../model/event.js';
import type { HandlerContext, HandlerSpec, ParamProblem, PipelineEnv, PipelineHandler } from './handler.js';
import { PipelineError } from './pipeline-error.js';

/** A user handler module that cannot be loaded or does not have the expected shape. */
export class UserHandlerError extends PipelineError {
  override name = 'UserHandlerError';
}

const METHODS = ['handleEvents', 'commit', 'rollback'] as const;

/** What a user module's instance looks like (winchester's PipelineHandlerBase). */
interface UserInstance {
  name?: unknown;
  handleEvents(events: readonly WaymarkEvent[], env: PipelineEnv): unknown;
  commit(): unknown;
  rollback(): unknown;
}

type UserExport = ((...args: unknown[]) => unknown) & {
  prototype?: Record<string, unknown>;
  validate?: unknown;
};

function isClass(fn: UserExport): boolean {
  return /^class[\s{]/.test(Function.prototype.toString.call(fn));
}

/** Methods missing from `obj` (own or inherited). */
function missingMethods(obj: Record<string, unknown> | undefined): string[] {
  return METHODS.filter((m) => typeof obj?.[m] !== 'function');
}

function normaliseProblems(where: string, value: unknown): ParamProblem[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    return [
      { path: [], message: `${where}: validate() returned ${typeof value}; expected a list of problems` },
    ];
  }
  return value.map((p: unknown): ParamProblem => {
    if (typeof p === 'string') return { path: [], message: p };
    const o = (p ?? {}) as { path?: unknown; message?: unknown };
    const path = Array.isArray(o.path)
      ? (o.path as unknown[]).filter(
          (s): s is string | number => typeof s === 'string' || typeof s === 'number',
        )
      : typeof o.path === 'string'
        ? [o.path]
        : [];
    return { path, message: typeof o.message === 'string' ? o.message : String(p) };
  });
}

/** Adapts a user instance to {@link PipelineHandler}; methods are called on the instance (keeps `this`). */
class UserHandler implements PipelineHandler {
  constructor(
    readonly name: string,
    private readonly instance: UserInstance,
  ) {}

  handleEvents(events: readonly WaymarkEvent[], env: PipelineEnv): Promise<readonly WaymarkEvent[]> {
    return Promise.resolve(this.instance.handleEvents(events, env)) as Promise<readonly WaymarkEvent[]>;
  }

  async commit(): Promise<void> {
    await this.instance.commit();
  }

  async rollback(): Promise<void> {
    await this.instance.rollback();
  }
}

/**
 * Load a user's handler module (an absolute path named in the pipelines
 * config) and make a {@link HandlerSpec} of one of its exports: `exportName`,
 * else the default export. Only modules named in config are ever loaded, once,
 * when this is called.
 *
 * The export is a class (constructed with `new Export(params, context)`) or a
 * factory function (called as `factory(params, context)`) whose result has
 * `handleEvents(events, env)` (returning the events for the next handler, or a
 * promise of them), `commit()` and `rollback()`, as in winchester. A class (or
 * factory) may have a static `validate(params)` returning a list of problems
 * (strings or `{path, message}`), called when the config loads. Every way this
 * can go wrong is a {@link UserHandlerError} naming the module and what is missing.
 *
 * ```ts
 * // /etc/waymark/handlers/audit.mjs:
 * //   export default class Audit {
 * //     constructor(params) { this.params = params; }
 * //     handleEvents(events, env) { env.audited = events.length; return events; }
 * //     commit() {}  rollback() {}
 * //   }
 * const spec = await loadUserHandlerSpec('audit', '/etc/waymark/handlers/audit.mjs');
 * ```
 */
export async function loadUserHandlerSpec(
  name: string,
  modulePath: string,
  exportName?: string,
): Promise<HandlerSpec> {
  const exportLabel = exportName === undefined ? 'the default export' : `export "${exportName}"`;
  const where = `handler "${name}" (${modulePath})`;
  if (!isAbsolute(modulePath)) {
    throw new UserHandlerError(
      `${where}: the module path must be absolute (resolve it against the config file's directory first)`,
    );
  }
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(modulePath).href)) as Record<string, unknown>;
  } catch (cause) {
    const missing = await access(modulePath).then(
      () => false,
      () => true,
    );
    const why = missing
      ? 'no such module; check the path'
      : `it failed to load: ${cause instanceof Error ? cause.message : String(cause)}`;
    throw new UserHandlerError(`${where}: ${why}`, { cause });
  }
  const key = exportName ?? 'default';
  const exported = mod[key];
  if (exported === undefined) {
    const names = Object.keys(mod).filter((k) => k !== '__esModule');
    throw new UserHandlerError(
      `${where}: the module has no ${exportName === undefined ? 'default export' : `export "${exportName}"`}; it exports ${names.length === 0 ? 'nothing' : names.map((n) => `"${n}"`).join(', ')}`,
    );
  }
  if (typeof exported !== 'function') {
    throw new UserHandlerError(
      `${where}: ${exportLabel} is ${exported === null ? 'null' : typeof exported}; expected a class (or factory function) whose instances have handleEvents(events, env), commit() and rollback()`,
    );
  }
  const ctor = exported as UserExport;
  const construct = isClass(ctor) || missingMethods(ctor.prototype).length < METHODS.length;
  if (construct) {
    const missing = missingMethods(ctor.prototype);
    if (missing.length > 0) {
      throw new UserHandlerError(
        `${where}: ${exportLabel} (class ${ctor.name || '(anonymous)'}) has no ${missing.map((m) => `${m}()`).join(', ')}; a handler needs handleEvents(events, env), commit() and rollback()`,
      );
    }
  }
  const validate = ctor.validate;
  return {
    name,
    validate(params: Readonly<Record<string, unknown>>): readonly ParamProblem[] {
      if (typeof validate !== 'function') return [];
      return normaliseProblems(where, (validate as (p: unknown) => unknown).call(ctor, params));
    },
    create(params: Readonly<Record<string, unknown>>, context: HandlerContext): PipelineHandler {
      const instance = (
        construct
          ? new (ctor as unknown as new (...a: unknown[]) => unknown)(params, context)
          : ctor(params, context)
      ) as Record<string, unknown> | null;
      const missing = missingMethods(instance ?? undefined);
      if (instance === null || typeof instance !== 'object' || missing.length > 0) {
        throw new UserHandlerError(
          `${where}: ${exportLabel} made ${instance === null || typeof instance !== 'object' ? String(instance) : `an object without ${missing.map((m) => `${m}()`).join(', ')}`}; a handler needs handleEvents(events, env), commit() and rollback()`,
        );
      }
      const own = instance['name'];
      return new UserHandler(
        typeof own === 'string' && own !== '' ? own : name,
        instance as unknown as UserInstance,
      );
    },
  };
}
