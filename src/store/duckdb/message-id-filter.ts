import type { DuckDBConnectionSlice } from './duckdb-client.js';
import { num } from './duckdb-client.js';

/** Murmur3's 32-bit finaliser. */
function fmix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

const PROBES = 16;

/**
 * A Bloom filter over the 53-bit message-id hashes of the stored events:
 * "certainly not stored" or "maybe stored". A commit looks up only the
 * maybe's in the database, so the events table needs no index (an ART index
 * there makes every DuckDB checkpoint rewrite the whole index; see
 * migrations.ts).
 *
 * 24 bits a key, 16 probes: measured 7e-6 false maybes at capacity (a 1,000-event
 * commit looks one up in 1 commit of 140); a false maybe costs one scan of the
 * `id_hash` column, nothing else. Deleted events stay in the filter (more false
 * maybes) until it is rebuilt. A blocked (one cache line a key) variant was
 * faster but measured 100x more false maybes.
 */
export class MessageIdFilter {
  private readonly words: Uint32Array;
  private readonly bits: number;
  private added = 0;

  /** Room for `capacity` keys at `bitsPerKey` bits each (memory: capacity x bitsPerKey / 8 bytes). */
  constructor(
    readonly capacity: number,
    bitsPerKey = 24,
  ) {
    this.bits = Math.max(1, Math.ceil((capacity * bitsPerKey) / 32)) * 32;
    this.words = new Uint32Array(this.bits / 32);
  }

  /** Keys added so far (with repeats). */
  get size(): number {
    return this.added;
  }

  /** Past its capacity: false maybes grow; rebuild it bigger. */
  get full(): boolean {
    return this.added > this.capacity;
  }

  add(hash: number): void {
    this.visit(hash, true);
    this.added++;
  }

  mayContain(hash: number): boolean {
    return this.visit(hash, false);
  }

  private visit(hash: number, set: boolean): boolean {
    const lo = hash >>> 0;
    const hi = Math.floor(hash / 0x1_0000_0000);
    const h1 = fmix32(lo ^ Math.imul(hi, 0x9e3779b1));
    const h2 = fmix32(h1 ^ hi ^ 0x5bd1e995);
    const step = (fmix32(h2 + 0x27d4eb2d) | 1) >>> 0;
    // A 48-bit start, so filters past 2^32 bits are covered too; exact in doubles.
    const bits = this.bits;
    let pos = (h1 * 0x1_0000 + (h2 >>> 16)) % bits;
    const stride = step % bits;
    for (let i = 0; i < PROBES; i++) {
      const w = Math.floor(pos / 32);
      const mask = 1 << (pos % 32);
      if (set) this.words[w] = (this.words[w] as number) | mask;
      else if (((this.words[w] as number) & mask) === 0) return false;
      pos += stride;
      if (pos >= bits) pos -= bits;
    }
    return true;
  }
}

/** The smallest filter built by default: room for a million ids, 3 MB. */
export const MIN_FILTER_CAPACITY = 1 << 20;

/**
 * A filter holding every stored event's id, with room to double (and at
 * least `minCapacity`): read from the `id_hash` column chunk by chunk (as
 * DOUBLE, exact for 53-bit values, so no BigInt per row).
 */
export async function loadMessageIdFilter(
  conn: DuckDBConnectionSlice,
  minCapacity = MIN_FILTER_CAPACITY,
): Promise<MessageIdFilter> {
  const count = num((await conn.runAndReadAll('SELECT count(*) FROM events')).getRows()[0]?.[0] ?? 0);
  const filter = new MessageIdFilter(Math.max(minCapacity, 2 * count));
  if (count === 0) return filter;
  const result = await conn.stream('SELECT id_hash::DOUBLE FROM events');
  for (
    let chunk = await result.fetchChunk();
    chunk !== null && chunk.rowCount > 0;
    chunk = await result.fetchChunk()
  ) {
    for (const v of chunk.getColumnValues(0)) filter.add(v as number);
  }
  return filter;
}
