import { InvalidMarkerError } from './store-errors.js';

/** The default page size of queries, and the cap every adapter applies. */
export const DEFAULT_PAGE_LIMIT = 100;
export const MAX_PAGE_LIMIT = 10_000;

/** A query's `limit` clamped to 1..{@link MAX_PAGE_LIMIT} (default {@link DEFAULT_PAGE_LIMIT}). */
export function pageLimit(limit: number | undefined): number {
  if (limit === undefined || !Number.isFinite(limit)) return DEFAULT_PAGE_LIMIT;
  return Math.min(MAX_PAGE_LIMIT, Math.max(1, Math.floor(limit)));
}

/** Where the next page of events starts: after this (timestamp, message_id). */
export interface EventPosition {
  readonly us: number;
  readonly messageId: string;
}

function encode(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

function decode(marker: string, what: string): unknown {
  try {
    return JSON.parse(Buffer.from(marker, 'base64url').toString('utf8')) as unknown;
  } catch (cause) {
    throw invalid(marker, what, cause);
  }
}

function invalid(marker: string, what: string, cause?: unknown): InvalidMarkerError {
  const shown = marker.length > 40 ? `${marker.slice(0, 40)}…` : marker;
  return new InvalidMarkerError(
    `marker "${shown}" is not a ${what} marker; pass the "next" of the previous page of the same query unchanged`,
    { cause },
  );
}

/**
 * Page markers, shared by every adapter so a marker means the same thing
 * whichever store issued it: opaque base64url text around the sort key of the
 * last item of the page.
 */
export const pageMarker = {
  /** The marker of a page of events ending with this event. */
  event(us: number, messageId: string): string {
    return encode(['e', us, messageId]);
  },
  /** The marker of a page of streams ending with this stream id. */
  stream(id: number): string {
    return encode(['s', id]);
  },
  /** Throws {@link InvalidMarkerError} for anything but an event marker. */
  parseEvent(marker: string): EventPosition {
    const v = decode(marker, 'event');
    if (
      Array.isArray(v) &&
      v.length === 3 &&
      v[0] === 'e' &&
      Number.isSafeInteger(v[1]) &&
      typeof v[2] === 'string'
    ) {
      return { us: v[1] as number, messageId: v[2] };
    }
    throw invalid(marker, 'event');
  },
  /** Throws {@link InvalidMarkerError} for anything but a stream marker. */
  parseStream(marker: string): number {
    const v = decode(marker, 'stream');
    if (Array.isArray(v) && v.length === 2 && v[0] === 's' && Number.isSafeInteger(v[1]))
      return v[1] as number;
    throw invalid(marker, 'stream');
  },
};
