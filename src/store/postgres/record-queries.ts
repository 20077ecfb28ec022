import { Instant } from '../../model/instant.js';
import { pageLimit } from '../page-marker.js';
import type { DeadLetter, MeterSample, PipelineOutcome } from '../store.js';
import { num } from './pg-client.js';
import { fromPg, fromPgOrNull, toPg } from './pg-text.js';
import type { Query } from './query.js';

/** Every meter sample and counter increment, in commit order, optionally of one meter. */
export async function meterSamples(q: Query, meter?: string): Promise<MeterSample[]> {
  const rows =
    meter === undefined
      ? await q('SELECT meter, kind, value, stream_id, sampled_at FROM meter_samples ORDER BY seq')
      : await q(
          'SELECT meter, kind, value, stream_id, sampled_at FROM meter_samples WHERE meter = $1 ORDER BY seq',
          [toPg(meter)],
        );
  return rows.map((r) => ({
    meter: fromPg(r[0] as string),
    kind: r[1] as MeterSample['kind'],
    value: r[2] as number,
    streamId: num(r[3]),
    at: new Instant(num(r[4])),
  }));
}

/** Pipeline outcomes, newest (last committed) first. */
export async function pipelineOutcomes(
  q: Query,
  query: { streamId?: number; limit?: number },
): Promise<PipelineOutcome[]> {
  const values: unknown[] = [];
  let where = '';
  if (query.streamId !== undefined) {
    where = 'WHERE stream_id = $1::int8';
    values.push(query.streamId);
  }
  const rows = await q(
    `SELECT stream_id, pipeline, kind, attempt, status, error, started, finished, emitted
     FROM pipeline_outcomes ${where} ORDER BY seq DESC LIMIT ${pageLimit(query.limit)}`,
    values,
  );
  return rows.map((r) => ({
    streamId: num(r[0]),
    pipeline: fromPg(r[1] as string),
    kind: r[2] as PipelineOutcome['kind'],
    attempt: num(r[3]),
    status: r[4] as PipelineOutcome['status'],
    error: fromPgOrNull(r[5]),
    started: new Instant(num(r[6])),
    finished: new Instant(num(r[7])),
    emitted: num(r[8]),
  }));
}

/** Dead letters, newest (last committed) first. */
export async function deadLetters(q: Query, query: { limit?: number }): Promise<DeadLetter[]> {
  const rows = await q(
    `SELECT id, received, source, reason, payload FROM dead_letters ORDER BY id DESC LIMIT ${pageLimit(query.limit)}`,
  );
  return rows.map((r) => ({
    id: num(r[0]),
    received: new Instant(num(r[1])),
    source: fromPg(r[2] as string),
    reason: fromPg(r[3] as string),
    payload: fromPg(r[4] as string),
  }));
}

export async function countDeadLetters(q: Query): Promise<number> {
  const rows = await q('SELECT count(*) FROM dead_letters');
  return num(rows[0]?.[0] ?? 0);
}
