import type { IncomingMessage } from 'node:http';
import { HttpError } from './errors.js';

/** Media types a request body may have; a missing `Content-Type` is accepted as well. */
export const ACCEPTED_MEDIA_TYPES = ['application/json', 'application/x-ndjson', 'text/plain'] as const;
export type AcceptedMediaType = (typeof ACCEPTED_MEDIA_TYPES)[number];

/**
 * The request's media type, lower-cased, or `undefined` when there is no
 * `Content-Type`. Anything else, or a charset other than UTF-8 (or its subset
 * US-ASCII), is a 415 that lists what is accepted.
 */
export function requestMediaType(req: IncomingMessage): AcceptedMediaType | undefined {
  const header = req.headers['content-type'];
  if (header === undefined || header.trim() === '') return undefined;
  const [type = '', ...params] = header.split(';').map((s) => s.trim());
  const media = type.toLowerCase();
  const accepted = (ACCEPTED_MEDIA_TYPES as readonly string[]).includes(media);
  if (!accepted) {
    throw new HttpError(
      415,
      `unsupported Content-Type "${header}"; expected one of ${ACCEPTED_MEDIA_TYPES.join(', ')} (or none)` +
        (media === 'application/x-www-form-urlencoded'
          ? ` (curl -d sends ${media}: add -H 'content-type: application/json')`
          : ''),
    );
  }
  for (const p of params) {
    const eq = p.indexOf('=');
    if (eq < 0 || p.slice(0, eq).trim().toLowerCase() !== 'charset') continue;
    const charset = p
      .slice(eq + 1)
      .trim()
      .replace(/^"(.*)"$/, '$1')
      .toLowerCase();
    if (charset !== 'utf-8' && charset !== 'utf8' && charset !== 'us-ascii') {
      throw new HttpError(415, `unsupported charset "${charset}" in Content-Type "${header}"; send UTF-8`);
    }
  }
  return media as AcceptedMediaType;
}

function tooLarge(maxBytes: number, what: string): HttpError {
  return new HttpError(
    413,
    `request body ${what} the limit of ${maxBytes} bytes; send smaller batches (the limit is the server's maxBodyBytes)`,
    { closeConnection: true },
  );
}

/**
 * Read the whole request body, at most `maxBytes`. A `Content-Length` over the
 * limit is refused before reading anything; a body that grows past it (chunked
 * uploads) is refused as soon as it does, and reading stops there. Either way
 * the 413 asks for the connection to be closed, so the rest is never read.
 */
export async function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > maxBytes) {
    throw tooLarge(maxBytes, `of ${declared} bytes exceeds`);
  }
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const finish = (err: Error | undefined): void => {
      if (settled) return;
      settled = true;
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
      if (err !== undefined) {
        req.pause();
        reject(err);
      } else {
        resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size));
      }
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > maxBytes) finish(tooLarge(maxBytes, 'exceeds'));
      else chunks.push(chunk);
    };
    const onEnd = (): void => finish(undefined);
    const onError = (err: Error): void =>
      finish(new HttpError(400, `could not read the request body: ${err.message}`, { cause: err }));
    const onClose = (): void =>
      finish(new HttpError(400, 'the client closed the connection before sending the whole body'));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}
