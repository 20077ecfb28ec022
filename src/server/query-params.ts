import { Instant } from '../model/instant.js';
import { HttpError } from './errors.js';

function bad(name: string, expected: string, got: string): HttpError {
  return new HttpError(
    400,
    `bad query parameter "${name}": expected ${expected}, got ${JSON.stringify(got)}`,
  );
}

/**
 * A strict reader of a URL's query string: unknown names are a 400 that lists
 * the accepted ones (a typo is an error, not silence), single-valued
 * parameters given twice are a 400, and every value is checked with a message
 * such as `bad query parameter "limit": expected an integer 1..1000, got "abc"`.
 *
 * ```ts
 * const q = new QueryParams(url.searchParams, ['limit', 'marker'], ['traits.']);
 * const limit = q.int('limit', { min: 1, max: 1000, default: 100 });
 * ```
 */
export class QueryParams {
  constructor(
    private readonly search: URLSearchParams,
    names: readonly string[],
    prefixes: readonly string[] = [],
  ) {
    for (const name of new Set(search.keys())) {
      if (names.includes(name)) continue;
      const prefix = prefixes.find((p) => name.startsWith(p));
      if (prefix !== undefined) {
        if (name.length === prefix.length) {
          throw new HttpError(400, `bad query parameter "${name}": expected a name after "${prefix}"`);
        }
        continue;
      }
      const accepted = [...names, ...prefixes.map((p) => `${p}<name>`)].join(', ');
      throw new HttpError(400, `unknown query parameter "${name}"; accepted: ${accepted}`);
    }
  }

  /** For routes that take no parameters: any is a 400. */
  static expectNone(search: URLSearchParams): void {
    for (const name of search.keys()) {
      throw new HttpError(400, `unknown query parameter "${name}"; this route takes none`);
    }
  }

  /** The value of a single-valued parameter; a 400 when it is given more than once. */
  single(name: string): string | undefined {
    const values = this.search.getAll(name);
    if (values.length > 1) {
      throw new HttpError(400, `bad query parameter "${name}": given ${values.length} times, expected once`);
    }
    return values[0];
  }

  /** Every value of a repeatable parameter, comma lists split, blanks a 400. */
  list(name: string, what: string): string[] {
    const out: string[] = [];
    for (const value of this.search.getAll(name)) {
      for (const part of value.split(',')) {
        const item = part.trim();
        if (item === '') throw bad(name, `a comma-separated list of ${what} without blanks`, value);
        out.push(item);
      }
    }
    return out;
  }

  /** An integer in `min..max`. */
  int(name: string, range: { min: number; max: number; default: number }): number {
    const value = this.single(name);
    if (value === undefined) return range.default;
    const n = Number(value);
    if (!/^\s*[+-]?\d+\s*$/.test(value) || n < range.min || n > range.max) {
      throw bad(name, `an integer ${range.min}..${range.max}`, value);
    }
    return n;
  }

  /** `true` or `false` (also `1`/`0`); absent is false. */
  bool(name: string): boolean {
    const value = this.single(name);
    if (value === undefined) return false;
    const v = value.trim().toLowerCase();
    if (v === 'true' || v === '1') return true;
    if (v === 'false' || v === '0') return false;
    throw bad(name, '"true" or "false"', value);
  }

  /** A timestamp in any form {@link Instant.tryParse} reads (ISO-8601, OpenStack's, epoch seconds). */
  timestamp(name: string): Instant | undefined {
    const value = this.single(name);
    if (value === undefined) return undefined;
    const t = Instant.tryParse(value.trim());
    if (t === undefined) {
      throw bad(
        name,
        'a timestamp such as "2014-06-11T16:09:41Z", "2014-06-11 16:09:41.123456" or epoch seconds',
        value,
      );
    }
    return t;
  }

  /** A non-empty opaque string (paging markers). */
  text(name: string): string | undefined {
    const value = this.single(name);
    if (value === undefined) return undefined;
    if (value === '') throw bad(name, 'a non-empty value (the "next" of the previous page)', value);
    return value;
  }

  /** `[rest of name, value]` for every parameter starting with `prefix`, in order. */
  prefixed(prefix: string): [string, string][] {
    const out: [string, string][] = [];
    for (const [name, value] of this.search) {
      if (name.startsWith(prefix)) out.push([name.slice(prefix.length), value]);
    }
    return out;
  }
}
