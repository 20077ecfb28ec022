import type { HandlerSpec } from '../handler.js';
import { countSpec } from './count.js';
import { loggerSpec } from './logger.js';
import { meterSpec } from './meter.js';
import { publishSpec } from './publish.js';
import { usageSpec } from './usage.js';
import { webhookSpec } from './webhook.js';

/**
 * The handlers every pipeline can name, by name: `logger`, `meter`, `count`,
 * `webhook`, `usage`, `publish`, and `notabene` (winchester's name for
 * `publish`, so StackTach pipeline files load unchanged).
 *
 * ```ts
 * const spec = BUILTIN_HANDLERS.get('meter');
 * spec?.validate({ meter: 'build_seconds', start: 'compute.instance.create.start', end: 'compute.instance.create.end' }); // []
 * ```
 */
export const BUILTIN_HANDLERS: ReadonlyMap<string, HandlerSpec> = new Map<string, HandlerSpec>([
  ['logger', loggerSpec],
  ['meter', meterSpec],
  ['count', countSpec],
  ['webhook', webhookSpec],
  ['usage', usageSpec],
  ['publish', publishSpec('publish')],
  ['notabene', publishSpec('notabene')],
]);
