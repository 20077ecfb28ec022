/**
 * waymark: watch long multi-step operations through the events they emit.
 *
 * ```ts
 * import { EventGenerator, Distiller, Instant, parseTimex, openstackScenario, BUNDLED_DEFINITIONS } from 'waymark';
 *
 * const distiller = Distiller.load(BUNDLED_DEFINITIONS);
 * const generator = new EventGenerator({ scenario: openstackScenario(), opsPerHour: 600, seed: 1, count: 1000 });
 * for (const g of generator) {
 *   const out = distiller.distillLine(g.line);
 *   if (out.status === 'event') console.log(out.event.event_type, out.event.traits['instance_id']);
 * }
 * const expiry = parseTimex('$last + 1h').evaluate({ last: Instant.parse('2014-06-11 16:09:41') });
 * ```
 *
 * An explicit list: every name here is public API and kept stable.
 */

// model: events, notifications, microsecond time
export { Instant, formatIso, formatOpenStack, parseMicros, tryParseMicros } from './model/instant.js';
export type { Micros, CalendarParts } from './model/instant.js';
export { parseFixedDuration, formatDuration } from './model/duration.js';
export { WaymarkError, TimeFormatError } from './model/errors.js';
export { eventFromJSON, MalformedEventError } from './model/event.js';
export type { WaymarkEvent, TraitType, TraitValue } from './model/event.js';
export {
  unwrapNotification,
  wrapOslo,
  MalformedNotificationError,
  SIMULATED_RECEIVED_FIELD,
} from './model/notification.js';
export type { Notification } from './model/notification.js';
export { ConfigError } from './config/config-error.js';
export type { ConfigProblem } from './config/config-error.js';

// timex: the time-expression language
export { parseTimex, TimeRange, TimexSyntaxError } from './timex/index.js';
export type { TimexExpression, TimexVariables, RangeUnit } from './timex/index.js';

// distill: notifications -> events
export { Distiller, BUNDLED_DEFINITIONS, BUILTIN_PLUGINS } from './distill/index.js';
export type {
  DistillerOptions,
  DistillOutcome,
  DefinitionInfo,
  TraitPlugin,
  TraitPluginContext,
  TraitPluginFactory,
  TraitPluginMatch,
} from './distill/index.js';

// generate: scenarios, faults, ground truth, sinks
export {
  EventGenerator,
  DEFAULT_START,
  openstackScenario,
  loadTemplateScenario,
  testrunScenario,
  resolveScenario,
  parseFaults,
  describeFaults,
  FaultSpecError,
  UnknownScenarioError,
  Rng,
  StreamSink,
  fileSink,
  TruthStreamSink,
  truthFileSink,
  HttpSink,
  HttpSinkError,
  MemorySink,
  NullSink,
} from './generate/index.js';
export type {
  GeneratorOptions,
  GeneratorSummary,
  RunOptions,
  GeneratedNotification,
  FaultOptions,
  TruthRecord,
  Scenario,
  PlannedOperation,
  PlannedNotification,
  Sink,
  TruthSink,
  HttpSinkOptions,
} from './generate/index.js';

// The trigger engine (triggers.md), its Store port and the in-memory store.
export { Engine, EngineStoppedError, StreamConflictError } from './engine/engine.js';
export type { EngineOptions, IngestResult, PipelineExecutor, PipelineRunOutcome } from './engine/engine.js';
export { eventClock, wallClock, type EngineClock } from './engine/clock.js';
export { loadTriggerDefinitions, parseTriggerDefinitions } from './engine/trigger-definitions.js';
export type { TriggerDefinition, Criterion, DistinguishingValue } from './engine/trigger.js';
export { explainEvent, type TriggerExplanation } from './engine/explain.js';
export { verifyAgainstTruth, DEFAULT_VERIFY_MAPPINGS, type VerifyReport } from './engine/verify.js';
export { loadPipelineDefinitions, parsePipelineDefinitions } from './pipeline/pipeline-definitions.js';
export { runPipeline } from './pipeline/run-pipeline.js';
export { MeterRegistry } from './pipeline/meter-registry.js';
export { BUILTIN_HANDLERS } from './pipeline/handlers/index.js';
export type { PipelineHandler, HandlerSpec, HandlerContext, PipelineDefinition } from './pipeline/handler.js';
export { MemoryStore } from './store/memory/memory-store.js';
export { openStore } from './store/open-store.js';
export type { Store, StoreBatch, StreamRecord, StreamState, EventQuery, StreamQuery } from './store/store.js';
export { loadWaymarkConfig, defaultWaymarkConfig, type WaymarkConfig } from './config/waymark-config.js';
