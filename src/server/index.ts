/** The HTTP API of `waymark serve`: what the composition root needs. */
export { createServer, DEFAULT_MAX_BODY_BYTES } from './create-server.js';
export type { ApiServer, ApiServerOptions, ExtraHandler } from './create-server.js';
export { staticAssetsHandler, DEFAULT_DASHBOARD_DIR } from './static-assets.js';
export type { StaticAssetsOptions } from './static-assets.js';
export { BackendBusyError, HttpError, ServerStartError } from './errors.js';
export type { ServerLogger } from './router.js';
export type { ServerBackend, IngestReport, MeterJSON, ExplainEntry } from './backend.js';
export { streamToJSON, eventToJSON, deadLetterToJSON } from './json-shapes.js';
export type { StreamJSON, EventJSON, DeadLetterJSON } from './json-shapes.js';
export { parseTraitFilter, parseTraitValue } from './trait-filter.js';
