import { STREAM_STATES, type StreamQuery, type StreamState } from '../store/store.js';
import { StreamConflictError } from '../engine/engine.js';
import { HttpError } from './errors.js';
import { streamToJSON, eventToJSON } from './json-shapes.js';
import { QueryParams } from './query-params.js';
import { readBody, requestMediaType } from './read-body.js';
import type { Route, RouteContext } from './router.js';
import type { Reply } from './respond.js';

/** Bodies of `PUT /v1/streams/{id}` are tiny; anything bigger is not a reset. */
const PUT_MAX_BYTES = 64 * 1024;
const LIST_PARAMS = ['state', 'trigger', 'older_than', 'younger_than', 'limit', 'marker', 'count'];
const FILTER_PREFIXES = ['traits.', 'distinguished_by.'];

/**
 * `GET /v1/streams` query → {@link StreamQuery} (limit and marker left out when
 * counting). `traits.<name>=v` and `distinguished_by.<name>=v` are the same
 * filter (StackTach quincy spelled it `traits`).
 */
export function parseStreamQuery(search: URLSearchParams): { query: StreamQuery; count: boolean } {
  const q = new QueryParams(search, LIST_PARAMS, FILTER_PREFIXES);
  const states = q.list('state', 'stream states');
  for (const s of states) {
    if (!(STREAM_STATES as readonly string[]).includes(s)) {
      throw new HttpError(
        400,
        `bad query parameter "state": unknown state "${s}"; expected a comma-separated list of ${STREAM_STATES.join(', ')}`,
      );
    }
  }
  const trigger = q.single('trigger');
  if (trigger === '')
    throw new HttpError(400, 'bad query parameter "trigger": expected a trigger name, got ""');
  const distinguishedBy: Record<string, string> = {};
  for (const prefix of FILTER_PREFIXES) {
    for (const [name, value] of q.prefixed(prefix)) {
      if (Object.hasOwn(distinguishedBy, name)) {
        throw new HttpError(
          400,
          `bad query parameter "${prefix}${name}": the distinguishing trait "${name}" is given more than once; expected one value`,
        );
      }
      distinguishedBy[name] = value;
    }
  }
  const count = q.bool('count');
  const query: StreamQuery = {
    ...(states.length > 0 ? { states: states as StreamState[] } : {}),
    ...(trigger !== undefined ? { trigger } : {}),
    ...(Object.keys(distinguishedBy).length > 0 ? { distinguishedBy } : {}),
    ...optional('olderThan', q.timestamp('older_than')),
    ...optional('youngerThan', q.timestamp('younger_than')),
    limit: q.int('limit', { min: 1, max: 1000, default: 100 }),
    ...optional('marker', q.text('marker')),
  };
  return { query, count };
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

/** A stream id from the path: a positive integer, else 400. */
function streamId(ctx: RouteContext): number {
  const text = ctx.params['id'] ?? '';
  const id = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(id) || id < 1) {
    throw new HttpError(400, `bad stream id "${text}": expected a positive integer such as /v1/streams/42`);
  }
  return id;
}

function noStream(id: number): HttpError {
  return new HttpError(404, `no stream ${id} (it never existed, or it was deleted or purged)`);
}

async function listStreams(ctx: RouteContext): Promise<Reply> {
  const { query, count } = parseStreamQuery(ctx.url.searchParams);
  const store = ctx.backend.store;
  if (count) {
    const { limit: _limit, marker: _marker, ...filter } = query;
    return { status: 200, body: { count: await store.countStreams(filter) } };
  }
  const page = await store.queryStreams(query);
  return { status: 200, body: { streams: page.items.map(streamToJSON), next: page.next ?? null } };
}

async function getStream(ctx: RouteContext): Promise<Reply> {
  QueryParams.expectNone(ctx.url.searchParams);
  const id = streamId(ctx);
  const store = ctx.backend.store;
  const stream = await store.getStream(id);
  if (stream === undefined) throw noStream(id);
  const events = await store.streamEvents(id);
  return { status: 200, body: { ...streamToJSON(stream), events: events.map(eventToJSON) } };
}

async function deleteStream(ctx: RouteContext): Promise<Reply> {
  QueryParams.expectNone(ctx.url.searchParams);
  const id = streamId(ctx);
  if (!(await conflictAs409(ctx.backend.deleteStream(id)))) throw noStream(id);
  return { status: 204 };
}

/** A stream change refused now (its pipeline runs, its key is taken, another worker correlates): 409. */
async function conflictAs409<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (e) {
    if (e instanceof StreamConflictError) throw new HttpError(409, e.message, { cause: e });
    throw e;
  }
}

const RESET_HINT = 'expected the body {"state": "active"} (a reset; no other change is possible)';

async function resetStream(ctx: RouteContext): Promise<Reply> {
  QueryParams.expectNone(ctx.url.searchParams);
  const id = streamId(ctx);
  const media = requestMediaType(ctx.req);
  if (media === 'application/x-ndjson') throw new HttpError(415, `Content-Type ${media}: ${RESET_HINT}`);
  const text = (await readBody(ctx.req, PUT_MAX_BYTES)).toString('utf8');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    throw new HttpError(400, `body is not JSON (${(err as Error).message}); ${RESET_HINT}`);
  }
  const keys = body !== null && typeof body === 'object' && !Array.isArray(body) ? Object.keys(body) : [];
  if (keys.length !== 1 || keys[0] !== 'state' || (body as { state: unknown }).state !== 'active') {
    throw new HttpError(400, `bad body ${truncate(text)}; ${RESET_HINT}`);
  }
  if (!(await conflictAs409(ctx.backend.resetStream(id)))) throw noStream(id);
  const stream = await ctx.backend.store.getStream(id);
  if (stream === undefined) throw noStream(id);
  return { status: 200, body: streamToJSON(stream) };
}

function truncate(text: string): string {
  const t = text.trim();
  return t.length > 200 ? `${t.slice(0, 200)}…` : t;
}

/** `GET /v1/streams`, `GET|DELETE|PUT /v1/streams/{id}`. */
export const STREAM_ROUTES: readonly Route[] = [
  { method: 'GET', path: '/v1/streams', handler: listStreams },
  { method: 'GET', path: '/v1/streams/:id', handler: getStream },
  { method: 'DELETE', path: '/v1/streams/:id', handler: deleteStream },
  { method: 'PUT', path: '/v1/streams/:id', handler: resetStream },
];
