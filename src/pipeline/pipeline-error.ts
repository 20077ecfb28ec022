import { WaymarkError } from '../model/errors.js';

/**
 * The root of the pipeline module's errors: a handler's params, a handler's
 * failure (webhook, publish), misuse of a run's context, a user module that
 * cannot be used. Each subclass names what went wrong and how to fix it.
 */
export class PipelineError extends WaymarkError {
  override name = 'PipelineError';
}

/** A handler was given params its `validate` rejects (the config loader should have caught them). */
export class HandlerParamsError extends PipelineError {
  override name = 'HandlerParamsError';
}

/**
 * A handler used its run's context wrongly: emitted something that is not an
 * event, a duplicate `message_id`, a non-finite meter value, or called the
 * context after the run ended.
 */
export class PipelineMisuseError extends PipelineError {
  override name = 'PipelineMisuseError';
}

/** The run did not finish within its `timeoutMs`, or its `signal` was aborted. */
export class PipelineAbortError extends PipelineError {
  override name = 'PipelineAbortError';
}
