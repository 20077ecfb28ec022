import type { TimeBasis } from '../analysis/analysis-port.js';
import { phaseSetToJSON } from '../analysis/phase-analyzer.js';
import type { RunFilter } from '../analysis/phase-report.js';
import type { TraitFilter } from '../store/store.js';
import { HttpError } from './errors.js';
import { QueryParams } from './query-params.js';
import type { Reply } from './respond.js';
import type { Route, RouteContext } from './router.js';
import { parseTraitFilter } from './trait-filter.js';

function timeBasis(q: QueryParams): TimeBasis {
  const v = q.single('time');
  if (v === undefined || v === 'emit') return 'emit';
  if (v === 'receive') return 'receive';
  throw new HttpError(
    400,
    `bad query parameter "time": expected "emit" or "receive", got ${JSON.stringify(v)}`,
  );
}

/** `from`, `to`, `time`, `traits.<name>=<op>:<value>` (as `GET /v1/events` reads them). */
function runFilter(q: QueryParams): RunFilter {
  const from = q.timestamp('from');
  const to = q.timestamp('to');
  if (from !== undefined && to !== undefined && to.us < from.us) {
    throw new HttpError(
      400,
      `bad query parameters "from" and "to": "to" (${to.toISOString()}) is before "from" (${from.toISOString()}); expected from <= to`,
    );
  }
  const traits: TraitFilter[] = q.prefixed('traits.').map(([name, value]) => parseTraitFilter(name, value));
  return {
    ...(from !== undefined ? { from } : {}),
    ...(to !== undefined ? { to } : {}),
    time: timeBasis(q),
    traits,
  };
}

function setName(q: QueryParams, ctx: RouteContext): string {
  const name = q.single('set');
  if (name === undefined || name === '') {
    const known = ctx.backend.phaseSets().map((s) => s.name);
    throw new HttpError(
      400,
      `missing query parameter "set": expected a phase set name (${known.length === 0 ? 'none is configured' : known.join(', ')})`,
    );
  }
  return name;
}

function listPhaseSets(ctx: RouteContext): Promise<Reply> {
  QueryParams.expectNone(ctx.url.searchParams);
  return Promise.resolve({ status: 200, body: { phase_sets: ctx.backend.phaseSets().map(phaseSetToJSON) } });
}

/**
 * `GET /v1/reports/phases?set=&group_by=&from=&to=&time=&histogram=&traits.<name>=`:
 * NDJSON, one line per (phase, group) in phase order, then `{"done": true, "runs": N}`.
 * Problems with the parameters (or the set) are a 400 before any line.
 */
async function phaseReport(ctx: RouteContext): Promise<Reply> {
  const q = new QueryParams(
    ctx.url.searchParams,
    ['set', 'group_by', 'from', 'to', 'time', 'histogram'],
    ['traits.'],
  );
  const set = setName(q, ctx);
  const groupBy = q.list('group_by', 'trait names');
  const filter = runFilter(q);
  const histogram = q.int('histogram', { min: 0, max: 1000, default: 20 });
  const abort = new AbortController();
  ctx.req.once('close', () => abort.abort());
  const it = ctx.backend.phaseReport(set, { ...filter, groupBy, histogram }, abort.signal);
  // The first phase is computed before answering, so a bad set or trait is a 400, not a line.
  const first = await it.next();
  async function* lines(): AsyncGenerator<unknown> {
    let r = first;
    while (r.done !== true) {
      yield* r.value;
      r = await it.next();
    }
    yield { done: true, runs: r.value };
  }
  return { status: 200, stream: lines() };
}

/** `GET /v1/reports/events?from=&to=&time=&group_by=&traits.<name>=`: NDJSON lines per event type (and group), then `{"done": true}`. */
async function eventReport(ctx: RouteContext): Promise<Reply> {
  const q = new QueryParams(ctx.url.searchParams, ['group_by', 'from', 'to', 'time'], ['traits.']);
  const groupBy = q.list('group_by', 'trait names');
  const filter = runFilter(q);
  const rows = await ctx.backend.eventReport({ ...filter, groupBy });
  async function* lines(): AsyncGenerator<unknown> {
    for (const r of rows) yield await Promise.resolve(r);
    yield { done: true };
  }
  return { status: 200, stream: lines() };
}

/** `GET /v1/reports/runs?set=&limit=&offset=&id=&from=&to=&time=&traits.<name>=`: a page of runs with their phases. */
async function runs(ctx: RouteContext): Promise<Reply> {
  const q = new QueryParams(
    ctx.url.searchParams,
    ['set', 'limit', 'offset', 'id', 'from', 'to', 'time'],
    ['traits.'],
  );
  const set = setName(q, ctx);
  const limit = q.int('limit', { min: 1, max: 1000, default: 20 });
  const offset = q.int('offset', { min: 0, max: Number.MAX_SAFE_INTEGER, default: 0 });
  const id = q.single('id');
  if (id === '') throw new HttpError(400, 'bad query parameter "id": expected a run id, got ""');
  const filter = runFilter(q);
  const page = await ctx.backend.phaseRuns(set, {
    ...filter,
    limit,
    offset,
    ...(id !== undefined ? { id } : {}),
  });
  return { status: 200, body: page };
}

/** `GET /v1/phases`, `GET /v1/reports/phases`, `GET /v1/reports/events`, `GET /v1/reports/runs`. */
export const REPORT_ROUTES: readonly Route[] = [
  { method: 'GET', path: '/v1/phases', handler: listPhaseSets },
  { method: 'GET', path: '/v1/reports/phases', handler: phaseReport },
  { method: 'GET', path: '/v1/reports/events', handler: eventReport },
  { method: 'GET', path: '/v1/reports/runs', handler: runs },
];
