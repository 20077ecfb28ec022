import type { WaymarkEvent } from '../model/event.js';
import { Instant } from '../model/instant.js';
import type { HandlerLogger, MeterRecorder } from './handler.js';
import { PipelineMisuseError } from './pipeline-error.js';
import type { StagedSample } from './staged-sample.js';

/** `value` is an event of the model's shape (enough for the engine to store it). */
function eventProblem(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object') return `expected an event object, got ${String(value)}`;
  const e = value as Partial<WaymarkEvent>;
  if (typeof e.message_id !== 'string' || e.message_id === '') return 'message_id must be a non-empty string';
  if (typeof e.event_type !== 'string' || e.event_type === '') return 'event_type must be a non-empty string';
  if (!(e.timestamp instanceof Instant)) return 'timestamp must be an Instant';
  if (!(e.received instanceof Instant)) return 'received must be an Instant';
  if (e.traits === null || typeof e.traits !== 'object' || Array.isArray(e.traits))
    return 'traits must be an object';
  return undefined;
}

/**
 * What one pipeline run stages: meter samples and emitted events, kept until
 * the run commits. The runner hands each handler a view ({@link forHandler})
 * that names the handler in every refusal, and {@link close}s the stage when
 * the run is over, so a handler calling its context late is told so.
 */
export class RunStage {
  readonly samples: StagedSample[] = [];
  readonly emitted: WaymarkEvent[] = [];
  private readonly ids = new Set<string>();
  private closed = false;

  close(): void {
    this.closed = true;
  }

  forHandler(label: string): { meters: MeterRecorder; emit: (event: WaymarkEvent) => void } {
    const open = (what: string): void => {
      if (this.closed) {
        throw new PipelineMisuseError(
          `${label}: ${what} after the pipeline run ended; finish the work before handleEvents/commit resolve`,
        );
      }
    };
    const stage = (kind: 'sample' | 'count', meter: unknown, value: unknown, what: string): void => {
      open(what);
      if (typeof meter !== 'string' || meter === '') {
        throw new PipelineMisuseError(`${label}: ${what} needs a name, got ${JSON.stringify(meter)}`);
      }
      if (typeof value !== 'number' || !Number.isFinite(value) || (kind === 'count' && value < 0)) {
        const expected = kind === 'count' ? 'a finite number >= 0' : 'a finite number';
        throw new PipelineMisuseError(
          `${label}: ${what}("${meter}"): expected ${expected}, got ${String(value)}`,
        );
      }
      this.samples.push({ meter, kind, value });
    };
    return {
      meters: {
        record: (meter: string, value: number) => stage('sample', meter, value, 'meters.record'),
        increment: (counter: string, by: number = 1) => stage('count', counter, by, 'meters.increment'),
      },
      emit: (event: WaymarkEvent) => {
        open('emit');
        const problem = eventProblem(event);
        if (problem !== undefined) throw new PipelineMisuseError(`${label}: emit: ${problem}`);
        if (this.ids.has(event.message_id)) {
          throw new PipelineMisuseError(
            `${label}: emit: message_id "${event.message_id}" was already emitted in this run; give each new event its own id (derivedMessageId)`,
          );
        }
        this.ids.add(event.message_id);
        this.emitted.push(event);
      },
    };
  }
}

/** A logger that adds the run's fields (stream, pipeline, handler) to every line. */
export function childLogger(log: HandlerLogger, fields: Record<string, unknown>): HandlerLogger {
  return {
    info: (message, extra) => log.info(message, { ...fields, ...extra }),
    warn: (message, extra) => log.warn(message, { ...fields, ...extra }),
  };
}
