import type { WaymarkEvent } from '../../model/event.js';
import type { HandlerContext, HandlerSpec, PipelineEnv, PipelineHandler } from '../handler.js';
import { num, param, specWithRules, str } from './params.js';

const RULES = { counter: str('build_failures', true), by: num({ min: 0, minExclusive: true }) };

/** Adds `by` to a named counter when the run commits. */
export class CountHandler implements PipelineHandler {
  readonly name = 'count';
  constructor(
    private readonly counter: string,
    private readonly by: number,
    private readonly context: HandlerContext,
  ) {}

  handleEvents(events: readonly WaymarkEvent[], _env: PipelineEnv): readonly WaymarkEvent[] {
    return events;
  }

  commit(): void {
    this.context.meters.increment(this.counter, this.by);
  }

  rollback(): void {}
}

/**
 * `count`: increments the counter `counter` by `by` (a number > 0, default 1)
 * in commit(), e.g. build failures from an expire pipeline.
 *
 * ```yaml
 * build_failed:
 *   - {name: count, params: {counter: build_failures}}
 * ```
 */
export const countSpec: HandlerSpec = specWithRules(
  'count',
  RULES,
  (params, context) => new CountHandler(params['counter'] as string, param(params, 'by', 1), context),
  { pure: true },
);
