import { createHash } from 'node:crypto';

/**
 * A UUID-shaped `message_id` derived from a key and an index: the first 128 bits
 * of SHA-256(`key` NUL `index`), with the version nibble set to 8 (custom,
 * RFC 9562) and the RFC 4122 variant bits. The same key and index always give
 * the same id, so a retried pipeline run (same idempotency key) emits events
 * with the same ids, and the engine's duplicate check drops the repeats.
 *
 * ```ts
 * derivedMessageId('42:fire:usage_audit', 0); // e.g. '3f2a9c1e-4b7d-8e21-9a4f-0c6d2b7e1f38', every time
 * ```
 */
export function derivedMessageId(key: string, index: number): string {
  const b = createHash('sha256').update(`${key}\u0000${index}`).digest();
  b[6] = ((b[6] as number) & 0x0f) | 0x80;
  b[8] = ((b[8] as number) & 0x3f) | 0x80;
  const h = b.subarray(0, 16).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}
