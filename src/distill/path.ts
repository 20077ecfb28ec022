/**
 * Field paths of event definitions (JSONPath-like, as StackTach and Ceilometer
 * write them), compiled once into accessor functions:
 *
 * - `payload.host`, `payload[host]`, `$.payload.host`
 * - quoted keys holding dots: `payload.image_meta.'org.openstack__1__architecture'`
 * - list indexes (negative from the end): `payload.volume_attachment[0].server_id`
 * - wildcards: `payload.fixed_ips[*].address`, `payload.*`
 * - filters: `payload.glance_metadata[?key=image_id].value` (also `[?key = 'x']`,
 *   `[?key != x]`, `[?(@.key == 'x')]`)
 * - Ceilometer's inline split at the end: ``publisher_id.`split(., 1, 1)` ``
 *   (separator, segment, at most this many splits; -1 for no limit)
 */

type Step =
  | { kind: 'key'; key: string }
  | { kind: 'index'; index: number }
  | { kind: 'wild' }
  | { kind: 'filter'; key: string; negate: boolean; value: string };

/** Python's `str.split(sep, maxsplit)` followed by `[segment]` (negative from the end). */
export function pySplitSegment(
  s: string,
  separator: string,
  segment: number,
  maxSplit: number | undefined,
): string | undefined {
  const limited = maxSplit !== undefined && maxSplit >= 0;
  if (segment < 0) {
    const parts: string[] = [];
    let from = 0;
    const max = limited ? maxSplit : Infinity;
    while (parts.length < max) {
      const at = s.indexOf(separator, from);
      if (at < 0) break;
      parts.push(s.slice(from, at));
      from = at + separator.length;
    }
    parts.push(s.slice(from));
    return parts[parts.length + segment];
  }
  // Walk to the segment without building the list (the common case: segment 0 or 1).
  let from = 0;
  for (let i = 0; i < segment; i++) {
    if (limited && i >= maxSplit) return undefined;
    const at = s.indexOf(separator, from);
    if (at < 0) return undefined;
    from = at + separator.length;
  }
  if (limited && segment >= maxSplit) return s.slice(from);
  const end = s.indexOf(separator, from);
  return end < 0 ? s.slice(from) : s.slice(from, end);
}

/** A path compiled into accessors. Nulls count as absent everywhere. */
export interface CompiledPath {
  /** The path as written in the definitions file. */
  readonly text: string;
  /** Whether the path can reach several values (`*`, filters). */
  readonly multi: boolean;
  /** For plain key paths (`payload.host`, `payload['a.b']`): the keys, so the distiller can inline them. */
  readonly keys?: readonly string[];
  /** The first non-null value the path reaches, or `undefined`. */
  readonly get: (root: unknown) => unknown;
  /** Every non-null value the path reaches (several only with `*` or filters), in document order. */
  readonly collect: (root: unknown, out: unknown[]) => void;
}

/** A path that cannot be parsed; `column` is 1-based inside the path text. */
export interface PathProblem {
  message: string;
  column: number;
}

const NAME_RE = /[^.[\]'"`\s()]/y;
const SPLIT_RE = /^split\((?:'([^']*)'|"([^"]*)"|(.))\s*,\s*(-?\d+)\s*(?:,\s*(-?\d+)\s*)?\)$/s;

/** A value as text: strings as they are, numbers and booleans printed, the rest as JSON. */
export function asText(v: unknown): string {
  switch (typeof v) {
    case 'string':
      return v;
    case 'number':
    case 'boolean':
    case 'bigint':
      return String(v);
    default:
      return JSON.stringify(v) ?? '';
  }
}

function present(v: unknown): boolean {
  return v !== undefined && v !== null && typeof v !== 'function';
}

interface Parsed {
  steps: Step[];
  split?: { separator: string; segment: number; maxSplit: number };
}

class PathParser {
  private i = 0;
  constructor(private readonly text: string) {}

  private fail(message: string, at = this.i): PathProblem {
    return { message: `bad path "${this.text}" at column ${at + 1}: ${message}`, column: at + 1 };
  }

  private name(): string | undefined {
    const start = this.i;
    NAME_RE.lastIndex = this.i;
    while (NAME_RE.test(this.text)) this.i = NAME_RE.lastIndex;
    return this.i > start ? this.text.slice(start, this.i) : undefined;
  }

  private quoted(): string | PathProblem {
    const q = this.text[this.i] as string;
    const end = this.text.indexOf(q, this.i + 1);
    if (end < 0) return this.fail(`unterminated quote ${q}`);
    const key = this.text.slice(this.i + 1, end);
    this.i = end + 1;
    return key;
  }

  /** One segment after a dot (or at the start). */
  private segment(out: Parsed): Step | 'split' | PathProblem {
    const c = this.text[this.i];
    if (c === undefined) return this.fail('expected a key after "."');
    if (c === "'" || c === '"') {
      const key = this.quoted();
      return typeof key === 'string' ? { kind: 'key', key } : key;
    }
    if (c === '*') {
      this.i++;
      return { kind: 'wild' };
    }
    if (c === '`') {
      const start = this.i;
      const end = this.text.indexOf('`', this.i + 1);
      if (end < 0) return this.fail('unterminated "`"');
      const fn = this.text.slice(this.i + 1, end).trim();
      const m = SPLIT_RE.exec(fn);
      if (m === null) {
        return this.fail(
          `unsupported function \`${fn}\`; expected \`split(SEPARATOR, SEGMENT, MAX_SPLIT)\` such as \`split(., 1, 1)\``,
          start,
        );
      }
      const separator = m[1] ?? m[2] ?? m[3] ?? '';
      if (separator === '') return this.fail('split needs a non-empty separator', start);
      out.split = { separator, segment: Number(m[4]), maxSplit: m[5] === undefined ? -1 : Number(m[5]) };
      this.i = end + 1;
      return 'split';
    }
    const key = this.name();
    if (key === undefined) return this.fail(`unexpected "${c}"; expected a key`);
    return { kind: 'key', key };
  }

  private bracket(): Step | PathProblem {
    const open = this.i;
    this.i++; // [
    const close = this.text.indexOf(']', this.i);
    const c = this.text[this.i];
    let step: Step | PathProblem;
    if (c === "'" || c === '"') {
      const key = this.quoted();
      step = typeof key === 'string' ? { kind: 'key', key } : key;
    } else if (close < 0) {
      return this.fail('unterminated "["', open);
    } else {
      const body = this.text.slice(this.i, close).trim();
      if (body === '*') step = { kind: 'wild' };
      else if (/^-?\d+$/.test(body)) step = { kind: 'index', index: Number(body) };
      else if (body.startsWith('?')) {
        const m =
          /^\?\s*\(?\s*(?:@\.)?([^\s=!()]+)\s*(!=|==|=)\s*(?:'([^']*)'|"([^"]*)"|([^\s()'"]+))\s*\)?$/.exec(
            body,
          );
        if (m === null) {
          return this.fail(`bad filter "[${body}]"; expected "[?key=value]" or "[?key != 'value']"`, open);
        }
        step = {
          kind: 'filter',
          key: m[1] as string,
          negate: m[2] === '!=',
          value: m[3] ?? m[4] ?? m[5] ?? '',
        };
      } else if (body === '' || /[[\]'"`]/.test(body)) {
        return this.fail(`bad subscript "[${body}]"; expected an index, *, a key or a ?filter`, open);
      } else step = { kind: 'key', key: body };
      this.i = close;
    }
    if (typeof step === 'object' && 'message' in step) return step;
    if (this.text[this.i] !== ']') return this.fail('expected "]"');
    this.i++;
    return step;
  }

  parse(): Parsed | PathProblem {
    const out: Parsed = { steps: [] };
    const t = this.text;
    if (t.trim() === '') return { message: 'empty path; expected e.g. "payload.instance_id"', column: 1 };
    if (t.startsWith('$')) {
      this.i = 1;
      if (this.i < t.length && t[this.i] !== '.' && t[this.i] !== '[')
        return this.fail('expected "." after "$"');
      if (t[this.i] === '.') this.i++;
    }
    let first = true;
    while (this.i < t.length) {
      if (out.split !== undefined) return this.fail('nothing may follow `split(...)`');
      const c = t[this.i];
      let step: Step | 'split' | PathProblem;
      if (c === '[') step = this.bracket();
      else if (first) step = this.segment(out);
      else if (c === '.') {
        this.i++;
        step = this.segment(out);
      } else return this.fail(`unexpected "${c}"; expected "." or "["`);
      if (step === 'split') {
        if (out.steps.length === 0) return this.fail('split needs a path before it');
      } else if ('message' in step) return step;
      else out.steps.push(step);
      first = false;
    }
    if (out.steps.length === 0) return this.fail('expected a key');
    return out;
  }
}

function child(v: unknown, step: Step, out: unknown[]): void {
  if (v === null || typeof v !== 'object') return;
  switch (step.kind) {
    case 'key': {
      const x = (v as Record<string, unknown>)[step.key];
      if (present(x)) out.push(x);
      return;
    }
    case 'index': {
      if (!Array.isArray(v)) return;
      const x: unknown = v[step.index < 0 ? v.length + step.index : step.index];
      if (present(x)) out.push(x);
      return;
    }
    case 'wild': {
      for (const x of Array.isArray(v) ? (v as unknown[]) : Object.values(v)) if (present(x)) out.push(x);
      return;
    }
    case 'filter': {
      const items = Array.isArray(v) ? (v as unknown[]) : Object.values(v);
      for (const x of items) {
        if (x === null || typeof x !== 'object') continue;
        const k = (x as Record<string, unknown>)[step.key];
        const hit = present(k) && asText(k) === step.value;
        if (hit !== step.negate) out.push(x);
      }
    }
  }
}

function keyGetter(keys: readonly string[]): (root: unknown) => unknown {
  const [a, b, c] = keys;
  // Specialised for the common short paths; a loop for the rest.
  if (keys.length === 1) {
    const k = a as string;
    return (r) => (r !== null && typeof r === 'object' ? (r as Record<string, unknown>)[k] : undefined);
  }
  if (keys.length === 2) {
    const k1 = a as string;
    const k2 = b as string;
    return (r) => {
      if (r === null || typeof r !== 'object') return undefined;
      const x = (r as Record<string, unknown>)[k1];
      return x !== null && typeof x === 'object' ? (x as Record<string, unknown>)[k2] : undefined;
    };
  }
  if (keys.length === 3) {
    const k1 = a as string;
    const k2 = b as string;
    const k3 = c as string;
    return (r) => {
      if (r === null || typeof r !== 'object') return undefined;
      const x = (r as Record<string, unknown>)[k1];
      if (x === null || typeof x !== 'object') return undefined;
      const y = (x as Record<string, unknown>)[k2];
      return y !== null && typeof y === 'object' ? (y as Record<string, unknown>)[k3] : undefined;
    };
  }
  return (r) => {
    let v = r;
    for (const k of keys) {
      if (v === null || typeof v !== 'object') return undefined;
      v = (v as Record<string, unknown>)[k];
    }
    return v;
  };
}

/** Compile a path, or say what is wrong with it (with the column inside the path). */
export function compilePath(text: string): CompiledPath | PathProblem {
  const parsed = new PathParser(text).parse();
  if ('message' in parsed) return parsed;
  const { steps, split } = parsed;
  const simple = steps.every((s) => s.kind === 'key');
  let base: CompiledPath;
  if (simple) {
    const keys = steps.map((s) => (s as { key: string }).key);
    const getter = keyGetter(keys);
    base = {
      text,
      multi: false,
      ...(split === undefined ? { keys } : {}),
      get: (root) => {
        const v = getter(root);
        return present(v) ? v : undefined;
      },
      collect: (root, out) => {
        const v = getter(root);
        if (present(v)) out.push(v);
      },
    };
  } else {
    const collect = (root: unknown, out: unknown[]): void => {
      let cur: unknown[] = [root];
      for (const step of steps) {
        const next: unknown[] = [];
        for (const v of cur) child(v, step, next);
        if (next.length === 0) return;
        cur = next;
      }
      for (const v of cur) out.push(v);
    };
    base = {
      text,
      multi: steps.some((s) => s.kind === 'wild' || s.kind === 'filter'),
      get: (root) => {
        const out: unknown[] = [];
        collect(root, out);
        return out[0];
      },
      collect,
    };
  }
  if (split === undefined) return base;
  const { separator, segment, maxSplit } = split;
  const apply = (v: unknown): string | undefined => pySplitSegment(asText(v), separator, segment, maxSplit);
  return {
    text,
    multi: base.multi,
    get: (root) => {
      const tmp: unknown[] = [];
      base.collect(root, tmp);
      for (const v of tmp) {
        const s = apply(v);
        if (s !== undefined) return s;
      }
      return undefined;
    },
    collect: (root, out) => {
      const tmp: unknown[] = [];
      base.collect(root, tmp);
      for (const v of tmp) {
        const s = apply(v);
        if (s !== undefined) out.push(s);
      }
    },
  };
}
