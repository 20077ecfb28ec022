import { deadLetterToJSON } from './json-shapes.js';
import { QueryParams } from './query-params.js';
import type { Route, RouteContext } from './router.js';
import type { Reply } from './respond.js';

function meters(ctx: RouteContext): Promise<Reply> {
  QueryParams.expectNone(ctx.url.searchParams);
  return Promise.resolve({ status: 200, body: { meters: ctx.backend.meters() } });
}

/** 200 when the backend says `status: "ok"`, else 503 with the same body (load balancers read the status). */
async function health(ctx: RouteContext): Promise<Reply> {
  QueryParams.expectNone(ctx.url.searchParams);
  const body = await ctx.backend.health();
  return { status: body['status'] === 'ok' ? 200 : 503, body };
}

async function deadLetters(ctx: RouteContext): Promise<Reply> {
  const q = new QueryParams(ctx.url.searchParams, ['limit']);
  const limit = q.int('limit', { min: 1, max: 1000, default: 100 });
  const store = ctx.backend.store;
  const [items, count] = await Promise.all([store.deadLetters({ limit }), store.countDeadLetters()]);
  return { status: 200, body: { dead_letters: items.map(deadLetterToJSON), count } };
}

/** `GET /v1/meters`, `GET /v1/health`, `GET /v1/dead-letters`. */
export const STATUS_ROUTES: readonly Route[] = [
  { method: 'GET', path: '/v1/meters', handler: meters },
  { method: 'GET', path: '/v1/health', handler: health },
  { method: 'GET', path: '/v1/dead-letters', handler: deadLetters },
];
