/**
 * Pipelines: the runner, the built-in handlers, the meter registry and user
 * handler modules.
 *
 * ```ts
 * import { runPipeline, BUILTIN_HANDLERS, MeterRegistry } from './pipeline/index.js';
 * const meter = BUILTIN_HANDLERS.get('meter')!;
 * const params = { meter: 'build_seconds', start: 'compute.instance.create.start', end: 'compute.instance.create.end' };
 * const result = await runPipeline({ name: 'build_time', handlers: [{ spec: meter, params }], source: { file: 'pipelines.yaml' } },
 *   events, { stream, log });
 * if (result.status === 'committed') registry.apply(result.samples);
 * ```
 */
export type {
  HandlerContext,
  HandlerEntry,
  HandlerLogger,
  HandlerSpec,
  MeterRecorder,
  NotificationPublisher,
  ParamProblem,
  PipelineDefinition,
  PipelineEnv,
  PipelineHandler,
  StreamRef,
} from './handler.js';
export {
  runPipeline,
  idempotencyKeyOf,
  DEFAULT_PIPELINE_TIMEOUT_MS,
  DEFAULT_ROLLBACK_TIMEOUT_MS,
  type RunPipelineOptions,
  type PipelineRunResult,
  type PipelineCommitted,
  type PipelineFailed,
} from './run-pipeline.js';
export type { StagedSample } from './staged-sample.js';
export { derivedMessageId } from './derived-message-id.js';
export { MeterRegistry, MeterRegistryError, type MeterRegistryOptions } from './meter-registry.js';
export { describeSorted, quantileSorted, type SampleStats } from './sample-stats.js';
export { loadUserHandlerSpec, UserHandlerError } from './user-handler.js';
export {
  PipelineError,
  HandlerParamsError,
  PipelineMisuseError,
  PipelineAbortError,
} from './pipeline-error.js';
export { BUILTIN_HANDLERS } from './handlers/index.js';
export { WebhookError } from './handlers/webhook.js';
export { PublishError } from './handlers/publish.js';
export { notificationBody } from './handlers/notification-body.js';
export {
  auditExists,
  DEFAULT_USAGE_FIELDS,
  type UsageErrorCode,
  type UsageVerdict,
} from './handlers/usage-audit.js';
export { EXISTS_VERIFIED, EXISTS_FAILED } from './handlers/usage.js';
