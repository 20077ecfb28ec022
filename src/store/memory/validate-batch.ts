import { Instant } from '../../model/instant.js';
import { STREAM_STATES, type StoreBatch } from '../store.js';
import { StoreCommitError } from '../store-errors.js';

const STATES = new Set<string>(STREAM_STATES);

/**
 * Check a batch the way a database's constraints would (the memory store has
 * no transactions, so it refuses a bad batch before touching anything).
 * Throws {@link StoreCommitError} naming every problem found, up to ten.
 */
export function validateBatch(batch: StoreBatch): void {
  const problems: string[] = [];
  const bad = (where: string, what: string): void => {
    if (problems.length < 10) problems.push(`${where}: ${what}`);
  };
  const text = (where: string, v: unknown, nonEmpty = false): void => {
    if (typeof v !== 'string' || (nonEmpty && v === ''))
      bad(where, `expected ${nonEmpty ? 'a non-empty ' : ''}string`);
  };
  const int = (where: string, v: unknown): void => {
    if (!Number.isSafeInteger(v)) bad(where, `expected an integer, got ${String(v)}`);
  };
  const instant = (where: string, v: unknown, nullable = false): void => {
    if (nullable && v === null) return;
    if (!(v instanceof Instant) || !Number.isSafeInteger(v.us))
      bad(where, 'expected an Instant of whole microseconds');
  };
  const oneOf = (where: string, v: unknown, allowed: readonly (string | null)[]): void => {
    if (!allowed.includes(v as string | null))
      bad(where, `${JSON.stringify(v)} is not one of ${allowed.join(', ')}`);
  };

  batch.events.forEach((e, i) => {
    text(`events[${i}].message_id`, e.message_id, true);
    text(`events[${i}].event_type`, e.event_type, true);
    instant(`events[${i}].timestamp`, e.timestamp);
    instant(`events[${i}].received`, e.received);
    if (e.traits === null || typeof e.traits !== 'object') bad(`events[${i}].traits`, 'expected an object');
  });
  batch.memberships.forEach((m, i) => {
    int(`memberships[${i}].streamId`, m.streamId);
    text(`memberships[${i}].messageId`, m.messageId, true);
  });
  batch.streams.forEach((s, i) => {
    const at = `streams[${i}] (id ${String(s.id)})`;
    int(`${at}.id`, s.id);
    text(`${at}.trigger`, s.trigger, true);
    text(`${at}.key`, s.key, true);
    if (!STATES.has(s.state))
      bad(`${at}.state`, `${JSON.stringify(s.state)} is not one of ${STREAM_STATES.join(', ')}`);
    if (s.distinguishedBy === null || typeof s.distinguishedBy !== 'object')
      bad(`${at}.distinguishedBy`, 'expected an object');
    instant(`${at}.first`, s.first);
    instant(`${at}.last`, s.last);
    instant(`${at}.fireAt`, s.fireAt, true);
    instant(`${at}.expireAt`, s.expireAt, true);
    int(`${at}.eventCount`, s.eventCount);
    oneOf(`${at}.outcome`, s.outcome, ['fired', 'expired', null]);
    int(`${at}.attempts`, s.attempts);
    instant(`${at}.retryAt`, s.retryAt, true);
    if (s.lastError !== null) text(`${at}.lastError`, s.lastError);
    instant(`${at}.updatedAt`, s.updatedAt);
  });
  batch.deletedStreams.forEach((id, i) => int(`deletedStreams[${i}]`, id));
  batch.deadLetters.forEach((d, i) => {
    instant(`deadLetters[${i}].received`, d.received);
    text(`deadLetters[${i}].source`, d.source);
    text(`deadLetters[${i}].reason`, d.reason);
    text(`deadLetters[${i}].payload`, d.payload);
  });
  batch.outcomes.forEach((o, i) => {
    int(`outcomes[${i}].streamId`, o.streamId);
    text(`outcomes[${i}].pipeline`, o.pipeline);
    oneOf(`outcomes[${i}].kind`, o.kind, ['fire', 'expire']);
    int(`outcomes[${i}].attempt`, o.attempt);
    oneOf(`outcomes[${i}].status`, o.status, ['committed', 'error']);
    if (o.error !== null) text(`outcomes[${i}].error`, o.error);
    instant(`outcomes[${i}].started`, o.started);
    instant(`outcomes[${i}].finished`, o.finished);
    int(`outcomes[${i}].emitted`, o.emitted);
  });
  batch.meterSamples.forEach((m, i) => {
    text(`meterSamples[${i}].meter`, m.meter, true);
    oneOf(`meterSamples[${i}].kind`, m.kind, ['sample', 'count']);
    if (typeof m.value !== 'number' || !Number.isFinite(m.value))
      bad(`meterSamples[${i}].value`, 'expected a finite number');
    int(`meterSamples[${i}].streamId`, m.streamId);
    instant(`meterSamples[${i}].at`, m.at);
  });
  if (problems.length > 0) {
    throw new StoreCommitError(`commit refused, nothing was written: ${problems.join('; ')}`);
  }
}
