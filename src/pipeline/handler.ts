import type { WaymarkEvent } from '../model/event.js';
import type { ConfigPath } from '../config/config-error.js';
import type { DistinguishingValue } from '../engine/trigger.js';

/** What a pipeline run is about: the stream that fired or expired. */
export interface StreamRef {
  readonly id: number;
  readonly trigger: string;
  readonly distinguishedBy: Readonly<Record<string, DistinguishingValue>>;
  /** `fire` for fire_pipeline runs, `expire` for expire_pipeline runs. */
  readonly kind: 'fire' | 'expire';
  /** The pipeline's name in config. */
  readonly pipeline: string;
  /** 1 for the first run, 2 for the first retry, ... */
  readonly attempt: number;
}

/** Where meters and counters of pipelines are recorded. Recording is staged until the run commits. */
export interface MeterRecorder {
  /** One sample (seconds for durations) of the named meter. */
  record(meter: string, value: number): void;
  /** Add `by` (default 1) to the named counter. */
  increment(counter: string, by?: number): void;
}

/** Publishes OpenStack notifications (the AMQP adapter implements it; issue 6). */
export interface NotificationPublisher {
  publish(
    messages: readonly { routingKey: string; body: Record<string, unknown>; messageId: string }[],
    options: { exchange: string; exchangeType: string },
  ): Promise<void>;
}

export interface HandlerLogger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
}

/** What a handler sees besides the events: the stream, and the services it may use. */
export interface HandlerContext {
  readonly stream: StreamRef;
  /** `stream id + pipeline kind + pipeline name`: the same for every retry of this run, so receivers can drop repeats. */
  readonly idempotencyKey: string;
  /** Stage meter samples / counter increments; applied only when the whole run commits. */
  readonly meters: MeterRecorder;
  /** Queue a new event; fed back into the engine only when the whole run commits. */
  emit(event: WaymarkEvent): void;
  readonly log: HandlerLogger;
  /** Present when an AMQP publisher is configured. */
  readonly publisher: NotificationPublisher | undefined;
  /** Aborted when the server shuts down or the run times out. */
  readonly signal: AbortSignal;
}

/** The `env` object shared by the handlers of one run. */
export type PipelineEnv = Record<string, unknown>;

/**
 * One handler instance, made fresh for each pipeline run (winchester's
 * contract): `handleEvents` in order, then `commit()` on each if all succeeded,
 * else `rollback()` on each. Side effects belong in `commit()`.
 */
export interface PipelineHandler {
  readonly name: string;
  /** Returns the (possibly filtered or extended) list for the next handler. */
  handleEvents(
    events: readonly WaymarkEvent[],
    env: PipelineEnv,
  ): readonly WaymarkEvent[] | Promise<readonly WaymarkEvent[]>;
  commit(): void | Promise<void>;
  rollback(): void | Promise<void>;
}

/** A params problem found at load time; the loader adds the file and the path prefix. */
export interface ParamProblem {
  /** Relative to the handler's `params`. */
  readonly path: ConfigPath;
  readonly message: string;
}

/**
 * A kind of handler (`meter`, `webhook`, a user module's class): validates its
 * params once at load, then makes one handler per run.
 */
export interface HandlerSpec {
  readonly name: string;
  /**
   * The handler touches nothing outside its run (no I/O but logging, never
   * emits events; its effects are the run's staged meter samples). A pipeline
   * of such handlers only ({@link isPurePipeline}) runs inside the commit that
   * fires its stream: fire, run and outcome are durable together, in one
   * commit instead of two.
   */
  readonly pure?: boolean;
  /** Every problem with `params` (empty list: fine). Called once, at load. */
  validate(params: Readonly<Record<string, unknown>>): readonly ParamProblem[];
  create(params: Readonly<Record<string, unknown>>, context: HandlerContext): PipelineHandler;
}

/** One handler entry of a pipeline definition, validated. */
export interface HandlerEntry {
  readonly spec: HandlerSpec;
  readonly params: Readonly<Record<string, unknown>>;
}

/** A named pipeline: handlers in order. */
export interface PipelineDefinition {
  readonly name: string;
  readonly handlers: readonly HandlerEntry[];
  readonly source: { readonly file: string };
}

/** Every handler of the pipeline is {@link HandlerSpec.pure}. */
export function isPurePipeline(definition: PipelineDefinition): boolean {
  return definition.handlers.length > 0 && definition.handlers.every((h) => h.spec.pure === true);
}
