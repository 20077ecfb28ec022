/**
 * The event generator: realistic notification traffic with ground truth.
 *
 * ```ts
 * import { EventGenerator, openstackScenario, parseFaults } from 'waymark';
 * const gen = new EventGenerator({
 *   scenario: openstackScenario(),
 *   opsPerHour: 3600,
 *   duration: 3_600_000_000, // one hour of traffic, microseconds
 *   seed: 7,
 *   faults: parseFaults('drop=0.01,delay=500ms'),
 * });
 * for (const g of gen) process.stdout.write(g.line + '\n');
 * const truth = gen.truth(); // what a correct engine must conclude
 * ```
 */
export {
  EventGenerator,
  DEFAULT_START,
  type GeneratorOptions,
  type GeneratorSummary,
  type RunOptions,
} from './event-generator.js';
export type { GeneratedNotification } from './generated-notification.js';
export { parseFaults, describeFaults, FaultSpecError, type FaultOptions } from './faults.js';
export type { TruthRecord } from './truth.js';
export { resolveScenario, UnknownScenarioError, SCENARIO_SPECS } from './resolve-scenario.js';
export {
  openstackScenario,
  OpenStackScenario,
  type OpenStackScenarioOptions,
} from './openstack/openstack-scenario.js';
export type { OperationDef, StepDef, FailureDef, Delay, VmState } from './openstack/operation-def.js';
export { loadTemplateScenario } from './templates/template-scenario.js';
export { testrunScenario } from './testruns/testrun-scenario.js';
export type { Scenario, PlannedOperation, PlannedNotification } from './scenario.js';
export { Rng } from './rng.js';
export { InstancePool } from './instance-pool.js';
export { PRESERIALIZED } from './preserialized.js';
export type { Sink, TruthSink } from './sinks/sink.js';
export { StreamSink, fileSink, TruthStreamSink, truthFileSink } from './sinks/stream-sink.js';
export { HttpSink, HttpSinkError, parseHttpUrl, type HttpSinkOptions } from './sinks/http-sink.js';
export {
  AmqpSink,
  AmqpSinkError,
  parseAmqpSinkUrl,
  type AmqpSinkOptions,
  type AmqpSinkTarget,
} from './sinks/amqp-sink.js';
export { MemorySink, NullSink } from './sinks/memory-sink.js';
