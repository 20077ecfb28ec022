import { Instant } from '../model/instant.js';
import type { TraitValue } from '../model/event.js';
import type { ComparisonOp, TraitFilter } from '../store/store.js';
import { HttpError } from './errors.js';

const OPS: readonly ComparisonOp[] = ['lt', 'le', 'eq', 'ne', 'ge', 'gt'];
const NUMBER_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const DATE_RE = /^\d{4}-\d{2}-\d{2}/;

/**
 * The typed value of a filter: a number when it reads as one (`4096`, `-1.5`,
 * `1e3`), a datetime when it reads as an ISO-style timestamp (`2014-06-11`,
 * `2014-06-11T16:09:41Z`, `2014-06-11 16:09:41.123456`), otherwise text. A
 * value in double quotes (`"512"`) is always text, without the quotes.
 */
export function parseTraitValue(text: string): TraitValue {
  if (text.length >= 2 && text.startsWith('"') && text.endsWith('"')) return text.slice(1, -1);
  if (NUMBER_RE.test(text)) return Number(text);
  if (DATE_RE.test(text)) {
    const t = Instant.tryParse(text);
    if (t !== undefined) return t;
  }
  return text;
}

/**
 * One trait filter from `traits.<name>=<op>:<value>` (`traits.memory_mb=ge:4096`).
 * `op` is one of `lt le eq ne ge gt`; without one the filter is `eq`. A value
 * that starts with letters and a colon but no known operator (`gte:4096`) is
 * a 400; write `eq:abc:def` for text that looks like that.
 *
 * ```ts
 * parseTraitFilter('memory_mb', 'ge:4096'); // {trait: 'memory_mb', op: 'ge', value: 4096}
 * parseTraitFilter('state', 'active');      // {trait: 'state', op: 'eq', value: 'active'}
 * ```
 */
export function parseTraitFilter(trait: string, text: string): TraitFilter {
  if (text === '') {
    throw new HttpError(
      400,
      `bad query parameter "traits.${trait}": expected a value or <op>:<value>, got ""`,
    );
  }
  const m = /^([A-Za-z_]+):(.*)$/s.exec(text);
  if (m === null) return { trait, op: 'eq', value: parseTraitValue(text) };
  const op = (m[1] as string).toLowerCase();
  if (!(OPS as readonly string[]).includes(op)) {
    throw new HttpError(
      400,
      `bad query parameter "traits.${trait}": unknown operator "${m[1] as string}"; expected <op>:<value> with op one of ${OPS.join(', ')} (e.g. "ge:4096"), or a plain value for eq (write "eq:${text}" if the value itself starts with "${m[1] as string}:")`,
    );
  }
  const value = m[2] as string;
  if (value === '') {
    throw new HttpError(400, `bad query parameter "traits.${trait}": no value after "${op}:"`);
  }
  return { trait, op: op as ComparisonOp, value: parseTraitValue(value) };
}
