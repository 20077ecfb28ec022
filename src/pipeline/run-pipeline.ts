import type { WaymarkEvent } from '../model/event.js';
import { Instant } from '../model/instant.js';
import type {
  HandlerContext,
  HandlerLogger,
  NotificationPublisher,
  PipelineDefinition,
  PipelineEnv,
  PipelineHandler,
  StreamRef,
} from './handler.js';
import { PipelineAbortError, PipelineMisuseError } from './pipeline-error.js';
import { childLogger, RunStage } from './run-stage.js';
import type { StagedSample } from './staged-sample.js';

export const DEFAULT_PIPELINE_TIMEOUT_MS = 30_000;
export const DEFAULT_ROLLBACK_TIMEOUT_MS = 5_000;

export interface RunPipelineOptions {
  /** The stream that fired or expired. */
  readonly stream: StreamRef;
  /** The AMQP publisher, when one is configured (the `publish` handler needs it). */
  readonly publisher?: NotificationPublisher | undefined;
  /** Where handlers log (each line gets `stream_id`, `pipeline` and `handler` fields). */
  readonly log: HandlerLogger;
  /** Aborts the run (server shutdown); handlers see it as `context.signal`. */
  readonly signal?: AbortSignal | undefined;
  /** The whole run (every handleEvents and commit) must finish within this; default 30 s. */
  readonly timeoutMs?: number | undefined;
  /** Each rollback() must finish within this (it is logged, then abandoned); default 5 s. */
  readonly rollbackTimeoutMs?: number | undefined;
  /** The engine's clock (event time in replays): stamps `startedAt`/`finishedAt`. Default: the wall clock. */
  readonly now?: (() => Instant) | undefined;
}

/** A run where every handler's handleEvents and commit succeeded. */
export interface PipelineCommitted {
  readonly status: 'committed';
  /** Meter samples and counter increments to apply (e.g. `MeterRegistry.apply`). */
  readonly samples: StagedSample[];
  /** New events to feed back into the engine. */
  readonly emitted: WaymarkEvent[];
  /** The shared env as the last handler left it. */
  readonly env: PipelineEnv;
  readonly startedAt: Instant;
  readonly finishedAt: Instant;
}

/** A run that failed: nothing staged is returned; the stream goes to `error` / `expire_error`. */
export interface PipelineFailed {
  readonly status: 'error';
  /** `Name: message` of what was thrown. */
  readonly error: string;
  /** The failing handler's spec name (`webhook`, a user module's name). */
  readonly handler: string;
  /** Its position in the pipeline (0-based), for pipelines that use a handler twice. */
  readonly index: number;
  /**
   * Where it failed: `handle` (creating the handler or its handleEvents, or a
   * timeout / abort during them) or `commit`. `rollback` is reserved: rollback
   * errors are logged, never the run's result.
   */
  readonly phase: 'handle' | 'commit' | 'rollback';
  /** What was thrown. */
  readonly cause: unknown;
  readonly startedAt: Instant;
  readonly finishedAt: Instant;
}

export type PipelineRunResult = PipelineCommitted | PipelineFailed;

/** `stream id + pipeline kind + pipeline name`: the same for every retry of one run. */
export function idempotencyKeyOf(stream: StreamRef): string {
  return `${stream.id}:${stream.kind}:${stream.pipeline}`;
}

/** Sorted by timestamp, then message_id (a copy). */
function sortEvents(events: readonly WaymarkEvent[]): WaymarkEvent[] {
  return [...events].sort(
    (a, b) =>
      a.timestamp.us - b.timestamp.us ||
      (a.message_id < b.message_id ? -1 : a.message_id > b.message_id ? 1 : 0),
  );
}

function describe(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return `thrown value: ${String(err)}`;
}

/** Run `fn`, but settle with `signal.reason` as soon as the signal aborts (the work itself cannot be cancelled). */
function guarded<T>(signal: AbortSignal, fn: () => T | Promise<T>): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    Promise.resolve()
      .then(fn)
      .then(
        (v) => {
          signal.removeEventListener('abort', onAbort);
          resolve(v);
        },
        (e: Error) => {
          signal.removeEventListener('abort', onAbort);
          reject(e);
        },
      );
  });
}

function checkReturned(label: string, value: unknown): readonly WaymarkEvent[] {
  if (!Array.isArray(value)) {
    const got = value === null ? 'null' : typeof value;
    throw new PipelineMisuseError(
      `${label}: handleEvents returned ${got}; expected an array of events (return the list it was given to pass events through)`,
    );
  }
  for (let i = 0; i < value.length; i++) {
    const e = value[i] as Partial<WaymarkEvent> | null;
    if (e === null || typeof e !== 'object' || typeof e.event_type !== 'string') {
      throw new PipelineMisuseError(`${label}: handleEvents returned a list whose item ${i} is not an event`);
    }
  }
  return Object.freeze([...(value as WaymarkEvent[])]);
}

interface Slot {
  readonly name: string;
  readonly label: string;
  readonly handler: PipelineHandler;
}

/**
 * Run one pipeline over a stream's events, winchester's contract:
 *
 * 1. A fresh handler per entry (`spec.create(params, context)`), in order.
 * 2. `handleEvents(events, env)` on each in order; each gets the previous one's
 *    output and the same `env` (seeded with `stream_id`). Events arrive sorted by
 *    timestamp, then message_id.
 * 3. If all succeed, `commit()` on each in order. Meter samples and emitted
 *    events staged through the context are returned only now.
 * 4. If anything throws, returns something other than an array, or the run
 *    times out / is aborted: `rollback()` on every handler not committed yet
 *    (rollback errors are logged, not thrown) and an `error` result naming the
 *    handler and the phase. A commit that throws part-way leaves the side effects
 *    of the handlers committed before it in place: the stream is retried, and
 *    the retry carries the same `context.idempotencyKey` (and emits the same
 *    derived message ids) so receivers can drop the repeats.
 *
 * Never throws for a handler's failure; the result says what happened.
 *
 * ```ts
 * const result = await runPipeline(definition, events, {
 *   stream: { id: 7, trigger: 'build_time', distinguishedBy: { instance_id: 'abc' },
 *             kind: 'fire', pipeline: 'build_time', attempt: 1 },
 *   log: { info: () => {}, warn: () => {} },
 * });
 * if (result.status === 'committed') meters.apply(result.samples);
 * else console.error(`${result.handler} failed in ${result.phase}: ${result.error}`);
 * ```
 */
export async function runPipeline(
  definition: PipelineDefinition,
  events: readonly WaymarkEvent[],
  options: RunPipelineOptions,
): Promise<PipelineRunResult> {
  const now = options.now ?? ((): Instant => Instant.now());
  const startedAt = now();
  const { stream } = options;
  const timeoutMs = options.timeoutMs ?? DEFAULT_PIPELINE_TIMEOUT_MS;
  const rollbackTimeoutMs = options.rollbackTimeoutMs ?? DEFAULT_ROLLBACK_TIMEOUT_MS;
  const idempotencyKey = idempotencyKeyOf(stream);
  const runLog = childLogger(options.log, { stream_id: stream.id, pipeline: definition.name });

  const controller = new AbortController();
  const outer = options.signal;
  const onOuterAbort = (): void =>
    controller.abort(
      new PipelineAbortError(`pipeline "${definition.name}" (stream ${stream.id}) was aborted`, {
        cause: outer?.reason,
      }),
    );
  if (outer?.aborted === true) onOuterAbort();
  else outer?.addEventListener('abort', onOuterAbort, { once: true });
  const timer = setTimeout(
    () =>
      controller.abort(
        new PipelineAbortError(
          `pipeline "${definition.name}" (stream ${stream.id}) timed out after ${timeoutMs} ms; make the handler faster or raise the pipeline timeout`,
        ),
      ),
    timeoutMs,
  );
  const signal = controller.signal;
  const stage = new RunStage();
  const slots: Slot[] = [];
  let committed = 0;

  const fail = async (index: number, phase: 'handle' | 'commit', cause: unknown): Promise<PipelineFailed> => {
    const entry = definition.handlers[index];
    const name = entry?.spec.name ?? '(none)';
    runLog.warn(`pipeline handler "${name}" failed in ${phase}: ${describe(cause)}`, {
      handler: name,
      index,
    });
    for (let i = committed; i < slots.length; i++) {
      const slot = slots[i] as Slot;
      const limit = new AbortController();
      const timer = setTimeout(
        () => limit.abort(new PipelineAbortError(`did not finish within ${rollbackTimeoutMs} ms; abandoned`)),
        rollbackTimeoutMs,
      );
      try {
        await guarded(limit.signal, () => slot.handler.rollback());
      } catch (err) {
        runLog.warn(`pipeline handler "${slot.name}" rollback failed: ${describe(err)}`, {
          handler: slot.name,
          index: i,
        });
      } finally {
        clearTimeout(timer);
      }
    }
    return {
      status: 'error',
      error: describe(cause),
      handler: name,
      index,
      phase,
      cause,
      startedAt,
      finishedAt: now(),
    };
  };

  try {
    for (let i = 0; i < definition.handlers.length; i++) {
      const entry = definition.handlers[i] as (typeof definition.handlers)[number];
      const label = `pipeline "${definition.name}" handler #${i} "${entry.spec.name}"`;
      const view = stage.forHandler(label);
      const context: HandlerContext = {
        stream,
        idempotencyKey,
        meters: view.meters,
        emit: view.emit,
        log: childLogger(runLog, { handler: entry.spec.name }),
        publisher: options.publisher,
        signal,
      };
      try {
        if (signal.aborted) throw signal.reason;
        slots.push({ name: entry.spec.name, label, handler: entry.spec.create(entry.params, context) });
      } catch (err) {
        return await fail(i, 'handle', err);
      }
    }

    const env: PipelineEnv = { stream_id: stream.id };
    let current: readonly WaymarkEvent[] = Object.freeze(sortEvents(events));
    for (let i = 0; i < slots.length; i++) {
      const slot = slots[i] as Slot;
      try {
        const input = current;
        const out = await guarded(signal, () => slot.handler.handleEvents(input, env));
        current = checkReturned(slot.label, out);
      } catch (err) {
        return await fail(i, 'handle', err);
      }
    }

    for (let i = 0; i < slots.length; i++) {
      const slot = slots[i] as Slot;
      try {
        await guarded(signal, () => slot.handler.commit());
        committed = i + 1;
      } catch (err) {
        return await fail(i, 'commit', err);
      }
    }
    return {
      status: 'committed',
      samples: [...stage.samples],
      emitted: [...stage.emitted],
      env,
      startedAt,
      finishedAt: now(),
    };
  } finally {
    stage.close();
    clearTimeout(timer);
    outer?.removeEventListener('abort', onOuterAbort);
  }
}
