import { compileGlob } from '../../distill/glob.js';
import type { WaymarkEvent } from '../../model/event.js';
import type { HandlerContext, HandlerSpec, PipelineEnv, PipelineHandler } from '../handler.js';
import { glob, oneOf, param, specWithRules, str } from './params.js';

const OCCURRENCES = ['first', 'last'] as const;
type Occurrence = (typeof OCCURRENCES)[number];

const RULES = {
  meter: str('build_seconds', true),
  start: glob('compute.instance.create.start', true),
  end: glob('compute.instance.create.end', true),
  start_occurrence: oneOf(OCCURRENCES),
  end_occurrence: oneOf(OCCURRENCES),
  unit: oneOf(['seconds', 'milliseconds']),
};

export interface MeterHandlerOptions {
  readonly meter: string;
  /** The globs as written, for messages, and compiled. */
  readonly startGlob: string;
  readonly endGlob: string;
  readonly start: RegExp;
  readonly end: RegExp;
  readonly startOccurrence: Occurrence;
  readonly endOccurrence: Occurrence;
  /** Microseconds per unit of the recorded value. */
  readonly divisor: number;
}

function pick(events: readonly WaymarkEvent[], re: RegExp, which: Occurrence): WaymarkEvent | undefined {
  if (which === 'first') return events.find((e) => re.test(e.event_type));
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i] as WaymarkEvent;
    if (re.test(e.event_type)) return e;
  }
  return undefined;
}

/** Measures the time between a start event and an end event of the stream. */
export class MeterHandler implements PipelineHandler {
  readonly name = 'meter';
  private value: number | undefined;

  constructor(
    private readonly options: MeterHandlerOptions,
    private readonly context: HandlerContext,
  ) {}

  handleEvents(events: readonly WaymarkEvent[], _env: PipelineEnv): readonly WaymarkEvent[] {
    const o = this.options;
    const start = pick(events, o.start, o.startOccurrence);
    const end = pick(events, o.end, o.endOccurrence);
    const fields = { meter: o.meter, event_count: events.length };
    if (start === undefined || end === undefined) {
      const missing = [
        start === undefined ? `start (${o.startGlob})` : '',
        end === undefined ? `end (${o.endGlob})` : '',
      ]
        .filter((s) => s !== '')
        .join(' and ');
      this.context.log.warn(`meter ${o.meter}: no ${missing} event in the stream; nothing recorded`, fields);
    } else if (end.timestamp.us < start.timestamp.us) {
      this.context.log.warn(
        `meter ${o.meter}: the ${o.endOccurrence} end event (${end.timestamp.toISOString()}) is before the ${o.startOccurrence} start event (${start.timestamp.toISOString()}); nothing recorded`,
        { ...fields, start_message_id: start.message_id, end_message_id: end.message_id },
      );
    } else {
      this.value = (end.timestamp.us - start.timestamp.us) / o.divisor;
    }
    return events;
  }

  commit(): void {
    if (this.value !== undefined) this.context.meters.record(this.options.meter, this.value);
  }

  rollback(): void {
    this.value = undefined;
  }
}

/**
 * `meter`: the time between the stream's start event and end event (globs on
 * the event type), recorded as one sample of the meter `meter` when the run
 * commits: `(end.us - start.us) / 1e6` seconds (or `/ 1e3` with
 * `unit: milliseconds`), microsecond exact.
 *
 * `start_occurrence` (default `first`) and `end_occurrence` (default `last`)
 * choose which of several matching events count, so extra `.start`s from
 * rescheduling are handled. When the start or the end event is missing, or the
 * chosen end is earlier than the chosen start, nothing is recorded and a warning
 * is logged (the run still succeeds: a meter is not a reason to retry).
 *
 * ```yaml
 * build_time:
 *   - name: meter
 *     params: {meter: build_seconds, start: compute.instance.create.start, end: compute.instance.create.end}
 * ```
 */
export const meterSpec: HandlerSpec = specWithRules(
  'meter',
  RULES,
  (params, context) =>
    new MeterHandler(
      {
        meter: params['meter'] as string,
        startGlob: params['start'] as string,
        endGlob: params['end'] as string,
        start: compileGlob(params['start'] as string) as RegExp,
        end: compileGlob(params['end'] as string) as RegExp,
        startOccurrence: param(params, 'start_occurrence', 'first'),
        endOccurrence: param(params, 'end_occurrence', 'last'),
        divisor: param<string>(params, 'unit', 'seconds') === 'milliseconds' ? 1e3 : 1e6,
      },
      context,
    ),
  { pure: true },
);
