import type { ChannelModel } from 'amqplib';
import { redactAmqpUrl } from '../../config/amqp-config.js';
import { WaymarkError } from '../../model/errors.js';

/** A RabbitMQ connection, channel or declaration failed; the message says what to check. */
export class AmqpError extends WaymarkError {
  override name = 'AmqpError';
  /** Retrying cannot help (refused login, unknown vhost, an exchange declared differently). */
  readonly permanent: boolean;
  constructor(message: string, options: { cause?: unknown; permanent?: boolean } = {}) {
    super(message, { cause: options.cause });
    this.permanent = options.permanent ?? false;
  }
}

/** Default limit on connecting, declaring and confirming. */
export const AMQP_TIMEOUT_MS = 10_000;

/**
 * Explain an amqplib error in words an operator can act on. `what` is the
 * operation (`connect to amqp://…`, `declare exchange "nova"`).
 */
export function describeAmqpError(what: string, err: unknown): AmqpError {
  if (err instanceof AmqpError) return err;
  const e = err as { message?: string; code?: string | number };
  const message = String(e.message ?? err);
  const code = e.code;
  const hint = (h: string, permanent = false): AmqpError =>
    new AmqpError(`${what}: ${message}; ${h}`, { cause: err, permanent });
  if (code === 'ECONNREFUSED') return hint('is RabbitMQ running and listening there?');
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return hint('check the host name in the URL');
  if (code === 'ETIMEDOUT' || /timed? ?out/i.test(message)) return hint('the broker did not answer in time');
  if (/PRECONDITION.FAILED|\b406\b/.test(message)) {
    return hint(
      'it already exists with other settings (type, durability or arguments); use the same settings or another name',
      true,
    );
  }
  if (/ACCESS.REFUSED|\b403\b/.test(message)) return hint('check the user and password in the URL', true);
  if (/NOT.ALLOWED|\b530\b/.test(message))
    return hint('check the virtual host (the URL path; %2f is "/")', true);
  if (/NOT.FOUND|\b404\b/.test(message)) return hint('it does not exist on the broker', true);
  return hint('see the broker log for details');
}

/** `promise`, or an {@link AmqpError} after `ms`. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new AmqpError(`${what}: no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Open a connection (amqplib is loaded on first use, so commands that never
 * touch RabbitMQ do not pay for it). `name` shows in the management UI and in
 * `rabbitmqctl list_connections user_provided_name`.
 */
export async function connectAmqp(
  url: string,
  options: { name: string; timeoutMs?: number },
): Promise<ChannelModel> {
  const amqp = await import('amqplib');
  const timeoutMs = options.timeoutMs ?? AMQP_TIMEOUT_MS;
  const what = `connect to ${redactAmqpUrl(url)}`;
  try {
    return await withTimeout(
      amqp.connect(url, { timeout: timeoutMs, clientProperties: { connection_name: options.name } }),
      timeoutMs,
      what,
    );
  } catch (err) {
    throw describeAmqpError(what, err);
  }
}

/** Close quietly (the connection may already be gone); bounded in time. */
export async function closeQuietly(
  closable: { close(): Promise<void> } | undefined,
  ms = 2000,
): Promise<void> {
  if (closable === undefined) return;
  try {
    await withTimeout(closable.close(), ms, 'close');
  } catch {
    // already closed or unreachable: nothing left to release
  }
}

/** Backoff before reconnect attempt `attempt` (1-based): doubling from `initialMs`, capped at `maxMs`, with equal jitter. */
export function reconnectDelay(
  attempt: number,
  initialMs: number,
  maxMs: number,
  random = Math.random,
): number {
  const base = Math.min(maxMs, initialMs * 2 ** Math.min(30, attempt - 1));
  return Math.round(base / 2 + (random() * base) / 2);
}
