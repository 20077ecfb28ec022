import type { TraitValue, WaymarkEvent } from '../../src/model/event.js';
import { Instant } from '../../src/model/instant.js';
import type {
  HandlerContext,
  HandlerLogger,
  HandlerSpec,
  NotificationPublisher,
  PipelineDefinition,
  PipelineEnv,
  PipelineHandler,
  StreamRef,
} from '../../src/pipeline/handler.js';
import {
  runPipeline,
  type PipelineRunResult,
  type RunPipelineOptions,
} from '../../src/pipeline/run-pipeline.js';
import { BUILTIN_HANDLERS } from '../../src/pipeline/handlers/index.js';

let seq = 0;

/** An event; `at` is ISO or OpenStack time, traits strings in ISO form stay strings (pass Instants for datetimes). */
export function ev(
  eventType: string,
  at: string,
  traits: Record<string, TraitValue> = {},
  messageId?: string,
): WaymarkEvent {
  const t = Instant.parse(at);
  return {
    message_id: messageId ?? `m-${String(++seq).padStart(6, '0')}`,
    event_type: eventType,
    timestamp: t,
    received: t,
    traits,
  };
}

export const T = (s: string): Instant => Instant.parse(s);

export function streamRef(overrides: Partial<StreamRef> = {}): StreamRef {
  return {
    id: 42,
    trigger: 'build_time',
    distinguishedBy: { instance_id: 'inst-1' },
    kind: 'fire',
    pipeline: 'build_time',
    attempt: 1,
    ...overrides,
  };
}

export interface LogLine {
  level: 'info' | 'warn';
  message: string;
  fields: Record<string, unknown>;
}

/** A logger that keeps what it is told. */
export class MemoryLog implements HandlerLogger {
  readonly lines: LogLine[] = [];
  info(message: string, fields: Record<string, unknown> = {}): void {
    this.lines.push({ level: 'info', message, fields });
  }
  warn(message: string, fields: Record<string, unknown> = {}): void {
    this.lines.push({ level: 'warn', message, fields });
  }
  warnings(): string[] {
    return this.lines.filter((l) => l.level === 'warn').map((l) => l.message);
  }
}

/** A publisher that records every call (or fails when told to). */
export class RecordingPublisher implements NotificationPublisher {
  readonly calls: {
    messages: { routingKey: string; body: Record<string, unknown>; messageId: string }[];
    options: { exchange: string; exchangeType: string };
  }[] = [];
  failWith: Error | undefined;
  publish(
    messages: readonly { routingKey: string; body: Record<string, unknown>; messageId: string }[],
    options: { exchange: string; exchangeType: string },
  ): Promise<void> {
    if (this.failWith !== undefined) return Promise.reject(this.failWith);
    this.calls.push({ messages: [...messages], options });
    return Promise.resolve();
  }
}

export function builtin(name: string): HandlerSpec {
  const spec = BUILTIN_HANDLERS.get(name);
  if (spec === undefined) throw new Error(`no built-in handler ${name}`);
  return spec;
}

export function pipeline(
  handlers: { spec: HandlerSpec; params?: Record<string, unknown> }[],
  name = 'build_time',
): PipelineDefinition {
  return {
    name,
    handlers: handlers.map((h) => ({ spec: h.spec, params: h.params ?? {} })),
    source: { file: 'pipelines.yaml' },
  };
}

/** Run one built-in handler with params over events. */
export function runOne(
  name: string,
  params: Record<string, unknown>,
  events: readonly WaymarkEvent[],
  options: Partial<RunPipelineOptions> = {},
): Promise<PipelineRunResult> {
  return runPipeline(pipeline([{ spec: builtin(name), params }]), events, {
    stream: streamRef(),
    log: new MemoryLog(),
    ...options,
  });
}

/** What a probe handler should do. */
export interface ProbeBehaviour {
  failIn?: 'create' | 'handle' | 'commit' | 'rollback';
  /** Never settle in this phase. */
  hangIn?: 'handle' | 'commit' | 'rollback';
  /** Return this from handleEvents instead of the events. */
  returns?: unknown;
  /** Add these events to the list it passes on. */
  add?: WaymarkEvent[];
  /** Emit these events through the context. */
  emit?: (context: HandlerContext) => WaymarkEvent[];
  /** Called in handleEvents. */
  onHandle?: (events: readonly WaymarkEvent[], env: PipelineEnv, context: HandlerContext) => void;
  /** Called in commit. */
  onCommit?: (context: HandlerContext) => void;
}

/**
 * A handler spec for runner tests: records `name:phase` into `journal`, and does
 * what `behaviour` says.
 */
export function probe(name: string, journal: string[], behaviour: ProbeBehaviour = {}): HandlerSpec {
  return {
    name,
    validate: () => [],
    create(_params, context): PipelineHandler {
      journal.push(`${name}:create`);
      if (behaviour.failIn === 'create') throw new Error(`${name} cannot start`);
      return {
        name,
        handleEvents(events, env) {
          journal.push(`${name}:handle(${events.map((e) => e.event_type).join(',')})`);
          behaviour.onHandle?.(events, env, context);
          for (const e of behaviour.emit?.(context) ?? []) context.emit(e);
          if (behaviour.failIn === 'handle') throw new Error(`${name} broke in handleEvents`);
          if (behaviour.hangIn === 'handle') return new Promise<readonly WaymarkEvent[]>(() => {});
          if ('returns' in behaviour) return behaviour.returns as readonly WaymarkEvent[];
          return [...events, ...(behaviour.add ?? [])];
        },
        async commit() {
          journal.push(`${name}:commit`);
          behaviour.onCommit?.(context);
          if (behaviour.failIn === 'commit') throw new Error(`${name} broke in commit`);
          if (behaviour.hangIn === 'commit') await new Promise(() => {});
        },
        async rollback() {
          journal.push(`${name}:rollback`);
          if (behaviour.failIn === 'rollback') throw new Error(`${name} broke in rollback`);
          if (behaviour.hangIn === 'rollback') await new Promise(() => {});
        },
      };
    },
  };
}
