/**
 * A 53-bit hash of a message id, stored beside it (`id_hash`) and indexed: an
 * ART index on a BIGINT costs a fraction of one on the VARCHAR id, and looking
 * up `id_hash IN (…)` then comparing the ids is exact. Two 32-bit FNV-1a-style
 * passes with different bases and multipliers over the UTF-16 code units.
 * Never change it: stored hashes would no longer be found.
 */
export function messageIdHash(id: string): number {
  let a = 0x811c9dc5;
  let b = 0x050c5d1f;
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  // Final mixing so short ids spread over all bits.
  a ^= a >>> 16;
  a = Math.imul(a, 0x85ebca6b);
  a ^= a >>> 13;
  b ^= b >>> 16;
  b = Math.imul(b, 0xc2b2ae35);
  b ^= b >>> 16;
  return (a >>> 11) * 0x1_0000_0000 + (b >>> 0);
}
