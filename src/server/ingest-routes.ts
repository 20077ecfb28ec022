import type { IngestReport } from './backend.js';
import { HttpError } from './errors.js';
import { readBody, requestMediaType } from './read-body.js';
import type { Route, RouteContext } from './router.js';
import type { Reply } from './respond.js';
import { splitIngestBody } from './split-ingest-body.js';

/** Dead-lettered payloads the server writes itself (bad lines, broken bodies) are cut to this many characters. */
export const DEAD_LETTER_MAX_CHARS = 64 * 1024;
/** At most this many reasons in a report. */
const MAX_REASONS = 20;
/** The `source` of everything ingested over HTTP. */
export const HTTP_SOURCE = 'http';

function truncate(text: string): string {
  return text.length <= DEAD_LETTER_MAX_CHARS
    ? text
    : `${text.slice(0, DEAD_LETTER_MAX_CHARS)}… [truncated, ${text.length} characters in all]`;
}

const EMPTY_REPORT: IngestReport = {
  received: 0,
  accepted: 0,
  duplicates: 0,
  undefined: 0,
  deadLettered: 0,
  reasons: [],
};

/**
 * The shared body of both ingest routes: read (bounded), split, hand the
 * items to the backend, dead-letter unparseable lines, and answer with the
 * merged report only once the backend resolved (the acknowledgement).
 */
async function ingest(ctx: RouteContext, kind: 'notifications' | 'events'): Promise<Reply> {
  const media = requestMediaType(ctx.req);
  const body = await readBody(ctx.req, ctx.maxBodyBytes);
  let text = body.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.trim() === '') {
    throw new HttpError(
      400,
      `empty body; expected ${kind} as a JSON array, a JSON object, or JSON lines (one object per line)`,
    );
  }
  const split = splitIngestBody(text, { ndjson: media === 'application/x-ndjson' });
  if (!split.ok) {
    // Refused whole; keep the start of it so an operator can see what was sent.
    try {
      await ctx.backend.deadLetter(
        [{ payload: truncate(text), reason: `refused body: ${split.reason}` }],
        HTTP_SOURCE,
      );
    } catch (err) {
      ctx.log.warn('could not dead-letter a refused body', { error: String(err) });
    }
    throw new HttpError(400, split.reason);
  }

  const report =
    split.items.length === 0
      ? EMPTY_REPORT
      : kind === 'notifications'
        ? await ctx.backend.ingestNotifications(split.items, HTTP_SOURCE, split.raw)
        : await ctx.backend.ingestEvents(split.items, HTTP_SOURCE, split.raw);
  // Dead letters after the ingest: a retry of a failed request re-sends events the store deduplicates.
  if (split.bad.length > 0) {
    await ctx.backend.deadLetter(
      split.bad.map((b) => ({ payload: truncate(b.payload), reason: b.reason })),
      HTTP_SOURCE,
    );
  }
  const merged: IngestReport = {
    received: report.received + split.bad.length,
    accepted: report.accepted,
    duplicates: report.duplicates,
    undefined: report.undefined,
    deadLettered: report.deadLettered + split.bad.length,
    reasons: [...split.bad.map((b) => b.reason), ...report.reasons].slice(0, MAX_REASONS),
  };
  return { status: 200, body: merged };
}

/** `POST /v1/notifications` (raw OpenStack notifications, bare or oslo-enveloped) and `POST /v1/events` (distilled events). */
export const INGEST_ROUTES: readonly Route[] = [
  { method: 'POST', path: '/v1/notifications', handler: (ctx) => ingest(ctx, 'notifications') },
  { method: 'POST', path: '/v1/events', handler: (ctx) => ingest(ctx, 'events') },
];
