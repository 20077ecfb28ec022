/**
 * The distiller: raw OpenStack notifications -> flat, typed events, driven by
 * StackTach/Ceilometer event definitions files.
 *
 * ```ts
 * import { Distiller, BUNDLED_DEFINITIONS } from 'waymark/distill';
 * const distiller = Distiller.load(BUNDLED_DEFINITIONS);
 * const out = distiller.distillLine('{"event_type": "compute.instance.create.end", ...}');
 * if (out.status === 'event') console.log(JSON.stringify(out.event));
 * ```
 */
export { Distiller } from './distiller.js';
export type { DistillerOptions, DistillOutcome, DefinitionInfo } from './distiller.js';
export { BUNDLED_DEFINITIONS } from './bundled.js';
export { BUILTIN_PLUGINS } from './plugins.js';
export type { TraitPlugin, TraitPluginContext, TraitPluginFactory, TraitPluginMatch } from './plugins.js';
/** Definitions problems are reported as one {@link ConfigError} listing every problem. */
export { ConfigError } from '../config/config-error.js';
export type { ConfigProblem } from '../config/config-error.js';
