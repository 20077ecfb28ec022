import { setTimeout as sleep } from 'node:timers/promises';
import { distinguishingToJSON } from '../../engine/distinguishing.js';
import type { WaymarkEvent } from '../../model/event.js';
import type { HandlerContext, HandlerSpec, PipelineEnv, PipelineHandler, StreamRef } from '../handler.js';
import { PipelineError } from '../pipeline-error.js';
import { httpUrl, num, oneOf, param, specWithRules, strMap } from './params.js';

/** The receiver refused the call (4xx), or kept failing after every retry. */
export class WebhookError extends PipelineError {
  override name = 'WebhookError';
  constructor(
    message: string,
    /** The last HTTP status, when there was a response. */
    readonly status: number | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Headers waymark sets itself. */
const RESERVED_HEADERS = ['idempotency-key', 'content-type', 'content-length'];
/** A 429's Retry-After is honoured up to this many seconds. */
const MAX_RETRY_AFTER_S = 60;

const headersRule = strMap('"Authorization": "Bearer …"');
const RULES = {
  url: httpUrl(true),
  method: oneOf(['POST', 'PUT', 'PATCH']),
  headers: {
    check: (v: unknown): string | undefined =>
      headersRule.check(v) ??
      Object.keys(v as Record<string, unknown>)
        .filter((k) => RESERVED_HEADERS.includes(k.toLowerCase()))
        .map((k) => `header "${k}" is set by waymark; remove it`)[0],
  },
  timeout: num({ min: 0, minExclusive: true, unit: 'seconds per attempt' }),
  retries: num({ min: 0, max: 20, integer: true }),
  backoff: num({ min: 0, unit: 'seconds before the first retry, doubling' }),
  body: oneOf(['events', 'summary']),
};

export interface WebhookOptions {
  readonly url: string;
  readonly method: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  readonly retries: number;
  readonly backoffMs: number;
  readonly body: 'events' | 'summary';
}

function streamJSON(s: StreamRef, idempotencyKey: string): Record<string, unknown> {
  return {
    id: s.id,
    trigger: s.trigger,
    distinguished_by: distinguishingToJSON(s.distinguishedBy),
    kind: s.kind,
    pipeline: s.pipeline,
    attempt: s.attempt,
    idempotency_key: idempotencyKey,
  };
}

function summaryJSON(events: readonly WaymarkEvent[]): Record<string, unknown> {
  const types: Record<string, number> = {};
  for (const e of events) types[e.event_type] = (types[e.event_type] ?? 0) + 1;
  return {
    event_count: events.length,
    first: events[0]?.timestamp.toISOString() ?? null,
    last: events[events.length - 1]?.timestamp.toISOString() ?? null,
    event_types: types,
  };
}

/** Whether a status is worth another attempt: 5xx, 429 (and 408, a server-side timeout). */
function retryable(status: number): boolean {
  return status >= 500 || status === 429 || status === 408;
}

/** POSTs the stream as JSON when the run commits, with retries and an idempotency key. */
export class WebhookHandler implements PipelineHandler {
  readonly name = 'webhook';
  private payload: string | undefined;

  constructor(
    private readonly options: WebhookOptions,
    private readonly context: HandlerContext,
  ) {}

  handleEvents(events: readonly WaymarkEvent[], _env: PipelineEnv): readonly WaymarkEvent[] {
    const stream = streamJSON(this.context.stream, this.context.idempotencyKey);
    this.payload = JSON.stringify(
      this.options.body === 'summary' ? { stream, summary: summaryJSON(events) } : { stream, events },
    );
    return events;
  }

  /** One attempt: the status, or throws what the network did. */
  private async attempt(body: string): Promise<{ status: number; text: string; retryAfter: string | null }> {
    const o = this.options;
    const res = await fetch(o.url, {
      method: o.method,
      headers: {
        ...o.headers,
        'content-type': 'application/json',
        'idempotency-key': this.context.idempotencyKey,
      },
      body,
      signal: AbortSignal.any([this.context.signal, AbortSignal.timeout(o.timeoutMs)]),
      redirect: 'error',
    });
    // Read (and so release) the body; a little of it explains a refusal.
    const text = (await res.text()).slice(0, 200);
    return { status: res.status, text, retryAfter: res.headers.get('retry-after') };
  }

  async commit(): Promise<void> {
    const body = this.payload;
    if (body === undefined) throw new WebhookError('webhook: commit() before handleEvents()', undefined);
    const o = this.options;
    let lastProblem = '';
    let lastStatus: number | undefined;
    let lastCause: unknown;
    for (let attempt = 0; attempt <= o.retries; attempt++) {
      let waitMs = o.backoffMs * 2 ** attempt;
      try {
        const r = await this.attempt(body);
        lastStatus = r.status;
        if (r.status >= 200 && r.status < 300) return;
        lastProblem = `HTTP ${r.status}${r.text === '' ? '' : `: ${r.text}`}`;
        if (!retryable(r.status)) {
          throw new WebhookError(
            `webhook ${o.method} ${o.url} was refused (${lastProblem}); a 4xx is not retried: fix the URL, headers or receiver`,
            r.status,
          );
        }
        const after = r.retryAfter === null ? Number.NaN : Number(r.retryAfter);
        if (r.status === 429 && Number.isFinite(after) && after >= 0) {
          waitMs = Math.max(waitMs, Math.min(after, MAX_RETRY_AFTER_S) * 1000);
        }
      } catch (err) {
        if (err instanceof WebhookError) throw err;
        if (this.context.signal.aborted) throw this.context.signal.reason;
        lastCause = err;
        lastStatus = undefined;
        const e = err as Error;
        lastProblem =
          e.name === 'TimeoutError'
            ? `no response within ${o.timeoutMs / 1000} s`
            : `${e.message}${e.cause instanceof Error ? ` (${e.cause.message})` : ''}`;
      }
      if (attempt < o.retries) {
        this.context.log.warn(`webhook ${o.url}: attempt ${attempt + 1} failed (${lastProblem}); retrying`, {
          attempt: attempt + 1,
          wait_ms: waitMs,
        });
        await sleep(waitMs, undefined, { signal: this.context.signal });
      }
    }
    throw new WebhookError(
      `webhook ${o.method} ${o.url} failed after ${o.retries + 1} attempts (last: ${lastProblem})`,
      lastStatus,
      { cause: lastCause },
    );
  }

  rollback(): void {
    this.payload = undefined;
  }
}

/**
 * `webhook` (winchester's `atompub`, generalised): when the run commits, sends
 * the stream as JSON — `{"stream": {id, trigger, distinguished_by, kind,
 * pipeline, attempt, idempotency_key}, "events": [...]}` (events in the JSON
 * shape of product.md), or with `body: summary` `{"stream", "summary":
 * {event_count, first, last, event_types}}` — with the header
 * `Idempotency-Key: <stream id>:<kind>:<pipeline>`, the same for every retry.
 *
 * Params: `url` (http/https, required), `method` (`POST`), `headers` (map),
 * `timeout` (seconds per attempt, 10), `retries` (3: up to 4 attempts),
 * `backoff` (seconds before the first retry, 1; doubles each time). Retries
 * network errors, timeouts, 5xx, 408 and 429 (honouring a 429's Retry-After up
 * to 60 s); a 4xx fails the run at once. Redirects are refused. The run's
 * signal (timeout, shutdown) stops it between and during attempts.
 *
 * ```yaml
 * build_failed:
 *   - {name: webhook, params: {url: "https://alerts.example.com/hooks/waymark", headers: {Authorization: "Bearer s3cret"}}}
 * ```
 */
export const webhookSpec: HandlerSpec = specWithRules(
  'webhook',
  RULES,
  (params, context) =>
    new WebhookHandler(
      {
        url: params['url'] as string,
        method: param(params, 'method', 'POST'),
        headers: param(params, 'headers', {}),
        timeoutMs: param(params, 'timeout', 10) * 1000,
        retries: param(params, 'retries', 3),
        backoffMs: param(params, 'backoff', 1) * 1000,
        body: param(params, 'body', 'events'),
      },
      context,
    ),
);
