import { EVENT_ROUTES } from './event-routes.js';
import { INGEST_ROUTES } from './ingest-routes.js';
import { REPORT_ROUTES } from './report-routes.js';
import type { Route } from './router.js';
import { STATUS_ROUTES } from './status-routes.js';
import { STREAM_ROUTES } from './stream-routes.js';

/** Every route of the `/v1` API, in the order the 404 message lists them. */
export const API_ROUTES: readonly Route[] = [
  ...INGEST_ROUTES,
  ...STREAM_ROUTES,
  ...EVENT_ROUTES,
  ...STATUS_ROUTES,
  ...REPORT_ROUTES,
];
