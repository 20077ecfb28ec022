import { distinguishingToJSON } from '../../engine/distinguishing.js';
import type { WaymarkEvent } from '../../model/event.js';
import type { HandlerContext, HandlerSpec, PipelineEnv, PipelineHandler } from '../handler.js';
import { oneOf, param, specWithRules } from './params.js';

const RULES = { level: oneOf(['info', 'warn']) };

/** Logs the stream it is given, passes the events through. */
export class LoggerHandler implements PipelineHandler {
  readonly name = 'logger';
  constructor(
    private readonly level: 'info' | 'warn',
    private readonly context: HandlerContext,
  ) {}

  handleEvents(events: readonly WaymarkEvent[], _env: PipelineEnv): readonly WaymarkEvent[] {
    const s = this.context.stream;
    const first = events[0];
    const last = events[events.length - 1];
    const span =
      first === undefined || last === undefined
        ? 'no events'
        : `${events.length} events, ${first.event_type} .. ${last.event_type}`;
    this.context.log[this.level](
      `stream ${s.id} (${s.trigger}) ${s.kind === 'fire' ? 'fired' : 'expired'}: ${span}`,
      {
        trigger: s.trigger,
        distinguished_by: distinguishingToJSON(s.distinguishedBy),
        kind: s.kind,
        attempt: s.attempt,
        event_count: events.length,
        first_event_type: first?.event_type ?? null,
        last_event_type: last?.event_type ?? null,
        first_timestamp: first?.timestamp.toISOString() ?? null,
        last_timestamp: last?.timestamp.toISOString() ?? null,
      },
    );
    return events;
  }

  commit(): void {}

  rollback(): void {}
}

/**
 * `logger`: logs the stream (trigger, distinguishing values, event count,
 * first and last event types) through the run's log; passes events through.
 * Params: `level` (`info`, default, or `warn`).
 *
 * ```yaml
 * test_pipeline:
 *   - logger
 *   - {name: logger, params: {level: warn}}
 * ```
 */
export const loggerSpec: HandlerSpec = specWithRules(
  'logger',
  RULES,
  (params, context) => new LoggerHandler(param(params, 'level', 'info'), context),
  { pure: true },
);
