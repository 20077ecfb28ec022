import { setTimeout as sleep } from 'node:timers/promises';
import { WaymarkError } from '../../model/errors.js';
import type { GeneratedNotification } from '../generated-notification.js';
import type { Sink } from './sink.js';

/** The HTTP sink gave up: a 4xx answer, or 5xx/connection errors past the retries. */
export class HttpSinkError extends WaymarkError {
  override name = 'HttpSinkError';
}

export interface HttpSinkOptions {
  /** Notifications per POST; default 1000. */
  batchSize?: number;
  /** Per-request timeout; default 10 s. */
  timeoutMs?: number;
  /** Retries after a 5xx or connection error; default 3. */
  retries?: number;
  /** First backoff, doubled on each retry; default 200 ms. */
  backoffMs?: number;
  /** Extra request headers. */
  headers?: Record<string, string>;
}

/**
 * POSTs notifications as NDJSON (`Content-Type: application/x-ndjson`), one
 * request per `batchSize` lines, one request in flight: `write` waits while a
 * request is out, so the buffer never exceeds one batch plus the caller's.
 * 5xx answers and connection errors are retried with exponential backoff; a
 * 4xx is a clear error at once (the server refused the data).
 *
 * ```ts
 * const sink = new HttpSink('http://127.0.0.1:8080/v1/notifications');
 * await generator.run(sink);
 * await sink.close();
 * ```
 */
export class HttpSink implements Sink {
  readonly name: string;
  private readonly url: URL;
  private buffer: string[] = [];
  private closed = false;
  private readonly batchSize: number;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly backoffMs: number;
  /** Requests sent and retried, for summaries. */
  requests = 0;
  retried = 0;

  constructor(
    url: string | URL,
    private readonly options: HttpSinkOptions = {},
  ) {
    this.url = parseHttpUrl(String(url));
    this.name = this.url.href;
    this.batchSize = Math.max(1, options.batchSize ?? 1000);
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.retries = Math.max(0, options.retries ?? 3);
    this.backoffMs = options.backoffMs ?? 200;
  }

  async write(batch: readonly GeneratedNotification[]): Promise<void> {
    if (this.closed) throw new HttpSinkError(`${this.name}: write after close`);
    for (const g of batch) {
      this.buffer.push(g.line);
      if (this.buffer.length >= this.batchSize) await this.post(this.buffer.splice(0, this.batchSize));
    }
  }

  async flush(): Promise<void> {
    while (this.buffer.length > 0) await this.post(this.buffer.splice(0, this.batchSize));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.flush();
    this.closed = true;
  }

  private async post(lines: string[]): Promise<void> {
    const body = lines.join('\n') + '\n';
    let lastError = '';
    for (let attempt = 0; attempt <= this.retries; attempt++) {
      if (attempt > 0) {
        this.retried++;
        await sleep(this.backoffMs * 2 ** (attempt - 1));
      }
      this.requests++;
      let res: Response;
      try {
        res = await fetch(this.url, {
          method: 'POST',
          headers: { 'content-type': 'application/x-ndjson', ...(this.options.headers ?? {}) },
          body,
          signal: AbortSignal.timeout(this.timeoutMs),
        });
      } catch (err) {
        const cause = (err as { cause?: { code?: string } }).cause;
        lastError = `${(err as Error).name === 'TimeoutError' ? `no answer within ${this.timeoutMs} ms` : (cause?.code ?? (err as Error).message)}`;
        continue;
      }
      const text = await res.text().catch(() => '');
      if (res.ok) return;
      const excerpt = text.length > 200 ? text.slice(0, 200) + '…' : text;
      if (res.status >= 400 && res.status < 500) {
        throw new HttpSinkError(
          `POST ${this.name} was refused: ${res.status} ${res.statusText}${excerpt === '' ? '' : `: ${excerpt}`} (check the URL and that the server accepts NDJSON notifications)`,
        );
      }
      lastError = `${res.status} ${res.statusText}${excerpt === '' ? '' : `: ${excerpt}`}`;
    }
    throw new HttpSinkError(
      `POST ${this.name} failed after ${this.retries + 1} attempts: ${lastError}; is the server up and healthy?`,
    );
  }
}

/** Accept only `http://HOST[:PORT]/PATH` and `https://...`; a clear error otherwise. */
export function parseHttpUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new HttpSinkError(`not a URL: "${text}"; expected http://HOST:PORT/PATH`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new HttpSinkError(
      `unsupported scheme "${url.protocol}" in "${text}"; expected http:// or https://`,
    );
  }
  if (url.hostname === '') throw new HttpSinkError(`no host in "${text}"; expected http://HOST:PORT/PATH`);
  return url;
}
