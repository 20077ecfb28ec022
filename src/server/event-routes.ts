import type { EventQuery, TraitFilter } from '../store/store.js';
import { HttpError } from './errors.js';
import { eventToJSON } from './json-shapes.js';
import { QueryParams } from './query-params.js';
import type { Route, RouteContext } from './router.js';
import type { Reply } from './respond.js';
import { parseTraitFilter } from './trait-filter.js';

const LIST_PARAMS = ['type', 'from', 'to', 'limit', 'marker', 'count'];

/**
 * `GET /v1/events` query → {@link EventQuery}: `type` (repeatable, comma
 * lists, globs), `from` / `to`, `traits.<name>=<op>:<value>` (repeatable:
 * `traits.memory_mb=ge:1024&traits.memory_mb=lt:4096` is a range), `limit`,
 * `marker`, `count`.
 */
export function parseEventQuery(search: URLSearchParams): { query: EventQuery; count: boolean } {
  const q = new QueryParams(search, LIST_PARAMS, ['traits.']);
  const types = q.list('type', 'event types or globs');
  const traits: TraitFilter[] = q.prefixed('traits.').map(([name, value]) => parseTraitFilter(name, value));
  const from = q.timestamp('from');
  const to = q.timestamp('to');
  if (from !== undefined && to !== undefined && to.us < from.us) {
    throw new HttpError(
      400,
      `bad query parameters "from" and "to": "to" (${to.toISOString()}) is before "from" (${from.toISOString()}); expected from <= to`,
    );
  }
  const count = q.bool('count');
  const limit = q.int('limit', { min: 1, max: 1000, default: 100 });
  const marker = q.text('marker');
  const query: EventQuery = {
    ...(types.length > 0 ? { types } : {}),
    ...(from !== undefined ? { from } : {}),
    ...(to !== undefined ? { to } : {}),
    ...(traits.length > 0 ? { traits } : {}),
    limit,
    ...(marker !== undefined ? { marker } : {}),
  };
  return { query, count };
}

async function listEvents(ctx: RouteContext): Promise<Reply> {
  const { query, count } = parseEventQuery(ctx.url.searchParams);
  const store = ctx.backend.store;
  if (count) {
    const { limit: _limit, marker: _marker, ...filter } = query;
    return { status: 200, body: { count: await store.countEvents(filter) } };
  }
  const page = await store.queryEvents(query);
  return { status: 200, body: { events: page.items.map(eventToJSON), next: page.next ?? null } };
}

function noEvent(id: string): HttpError {
  return new HttpError(404, `no event with message_id ${JSON.stringify(id)} is stored`);
}

async function getEvent(ctx: RouteContext): Promise<Reply> {
  QueryParams.expectNone(ctx.url.searchParams);
  const id = ctx.params['message_id'] as string;
  const event = await ctx.backend.store.getEvent(id);
  if (event === undefined) throw noEvent(id);
  return { status: 200, body: eventToJSON(event) };
}

async function explainEvent(ctx: RouteContext): Promise<Reply> {
  QueryParams.expectNone(ctx.url.searchParams);
  const id = ctx.params['message_id'] as string;
  const triggers = await ctx.backend.explain(id);
  if (triggers === undefined) throw noEvent(id);
  return { status: 200, body: { message_id: id, triggers } };
}

/** `GET /v1/events`, `GET /v1/events/{message_id}`, `GET /v1/events/{message_id}/explain`. */
export const EVENT_ROUTES: readonly Route[] = [
  { method: 'GET', path: '/v1/events', handler: listEvents },
  { method: 'GET', path: '/v1/events/:message_id', handler: getEvent },
  { method: 'GET', path: '/v1/events/:message_id/explain', handler: explainEvent },
];
