import type { TraitValue } from '../model/event.js';
import { Instant } from '../model/instant.js';
import type { ComparisonOp, TraitFilter } from './store.js';
import { InvalidQueryError } from './store-errors.js';

const OPS = new Set<ComparisonOp>(['lt', 'le', 'eq', 'ne', 'ge', 'gt']);

function compare<T extends number | string>(a: T, op: ComparisonOp, b: T): boolean {
  switch (op) {
    case 'lt':
      return a < b;
    case 'le':
      return a <= b;
    case 'eq':
      return a === b;
    case 'ne':
      return a !== b;
    case 'ge':
      return a >= b;
    case 'gt':
      return a > b;
  }
}

/** Throws {@link InvalidQueryError} for a filter no store can run. */
export function checkTraitFilter(f: TraitFilter): void {
  const v: unknown = f.value;
  const ok = (typeof v === 'number' && Number.isFinite(v)) || typeof v === 'string' || v instanceof Instant;
  if (typeof f.trait !== 'string' || f.trait === '')
    throw new InvalidQueryError('trait filter: "trait" must be a trait name');
  if (!OPS.has(f.op))
    throw new InvalidQueryError(
      `trait filter on "${f.trait}": op ${JSON.stringify(f.op)} is not one of lt, le, eq, ne, ge, gt`,
    );
  if (!ok)
    throw new InvalidQueryError(
      `trait filter on "${f.trait}": value must be a number, a string or an Instant`,
    );
}

/**
 * Whether a trait value passes a filter. The comparison is typed: a number
 * filter matches number traits only, an {@link Instant} filter datetime traits
 * only (by time), a string filter text traits only (by UTF-16 code units). An
 * event without the trait, or with a value of another type, never matches —
 * not even `ne`.
 */
export function traitMatches(value: TraitValue | undefined, f: TraitFilter): boolean {
  const want = f.value;
  if (typeof want === 'number') return typeof value === 'number' && compare(value, f.op, want);
  if (want instanceof Instant) return value instanceof Instant && compare(value.us, f.op, want.us);
  return typeof value === 'string' && compare(value, f.op, want);
}
