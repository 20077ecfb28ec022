import { parseDatetime } from './fast-time.js';
import { asText, pySplitSegment } from './path.js';

/** One value a trait's `fields` reached: the path as written in the definition, and the value. */
export interface TraitPluginMatch {
  readonly path: string;
  readonly value: unknown;
}

/**
 * A compiled trait plugin. It receives every non-null (path, value) pair the
 * trait's `fields` reached, in order — possibly none — and returns the trait's
 * raw value (converted to the trait's type afterwards), or `undefined`/`null`
 * to omit the trait.
 */
export type TraitPlugin = (matches: readonly TraitPluginMatch[]) => unknown;

/**
 * Internal: marks a plugin whose result is the first non-null result of a
 * function of each value, in match order, so the distiller can skip building
 * the match list (the built-in split, used by the default `service` trait).
 */
export const PER_VALUE: unique symbol = Symbol('waymark.perValue');
export type PerValuePlugin = TraitPlugin & { [PER_VALUE]?: (value: unknown) => unknown };

/** The per-value function of a {@link PER_VALUE} plugin, if it is one. */
export function perValueOf(plugin: TraitPlugin | undefined): ((value: unknown) => unknown) | undefined {
  if (plugin === undefined || !(PER_VALUE in plugin)) return undefined;
  return (plugin as PerValuePlugin)[PER_VALUE];
}

/** What a plugin factory learns about the trait it serves, and where it reports bad parameters. */
export interface TraitPluginContext {
  /** The trait's name. */
  readonly trait: string;
  /** The trait's field paths, as written. */
  readonly fields: readonly string[];
  /**
   * Report a bad parameter; the load fails with every problem, each with its
   * file, path (`[0].traits.host.plugin.parameters.segment`) and line.
   * `parameter` is a key, or a path below `parameters` such as `['flags', 0, 'bit']`.
   */
  problem(parameter: string | readonly (string | number)[], message: string): void;
}

/**
 * Makes a plugin from its `parameters` (an empty object when none are given).
 * Called once per trait at load; validate there and report through
 * `context.problem` (or throw: the message becomes the problem).
 *
 * ```ts
 * const upper: TraitPluginFactory = () => (matches) =>
 *   typeof matches[0]?.value === 'string' ? matches[0].value.toUpperCase() : undefined;
 * Distiller.load('defs.yaml', { plugins: { upper } });
 * ```
 */
export type TraitPluginFactory = (
  parameters: Readonly<Record<string, unknown>>,
  context: TraitPluginContext,
) => TraitPlugin;

function checkKnown(
  params: Readonly<Record<string, unknown>>,
  known: readonly string[],
  ctx: TraitPluginContext,
): void {
  for (const k of Object.keys(params)) {
    if (!known.includes(k)) {
      ctx.problem(
        k,
        known.length === 0
          ? `unknown parameter "${k}"; this plugin takes no parameters`
          : `unknown parameter "${k}"; expected one of ${known.join(', ')}`,
      );
    }
  }
}

function intParam(
  params: Readonly<Record<string, unknown>>,
  key: string,
  ctx: TraitPluginContext,
  fallback: number | undefined,
): number | undefined {
  const v = params[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v === 'number' && Number.isSafeInteger(v)) return v;
  if (typeof v === 'string' && /^-?\d+$/.test(v.trim())) return Number(v);
  ctx.problem(key, `expected an integer, got ${JSON.stringify(v)}`);
  return fallback;
}

/**
 * `split`: split the first matching value on `separator` (default `.`), at most
 * `max_split` times (default: no limit), and take `segment` (default 0; negative
 * counts from the end). A missing segment omits the trait. Python's `str.split` semantics.
 */
export const splitPlugin: TraitPluginFactory = (params, ctx) => {
  checkKnown(params, ['separator', 'segment', 'max_split'], ctx);
  let separator = '.';
  const sep = params['separator'];
  if (sep !== undefined && sep !== null) {
    if (typeof sep === 'string' && sep !== '') separator = sep;
    else ctx.problem('separator', `expected a non-empty string, got ${JSON.stringify(sep)}`);
  }
  const segment = intParam(params, 'segment', ctx, 0) ?? 0;
  const maxSplit = intParam(params, 'max_split', ctx, undefined);
  const perValue = (v: unknown): string | undefined =>
    pySplitSegment(asText(v), separator, segment, maxSplit);
  const split: PerValuePlugin = (matches) => {
    for (const m of matches) {
      const s = perValue(m.value);
      if (s !== undefined) return s;
    }
    return undefined;
  };
  split[PER_VALUE] = perValue;
  return split;
};

/**
 * `bitfield`: starts from `initial_bitfield` (default 0) and sets bit `bit` of
 * each flag `{path, bit, value?}` whose path matched (and, with `value`, whose
 * value equals it). Flag paths must be among the trait's `fields`.
 */
export const bitfieldPlugin: TraitPluginFactory = (params, ctx) => {
  checkKnown(params, ['initial_bitfield', 'flags'], ctx);
  const initial = intParam(params, 'initial_bitfield', ctx, 0) ?? 0;
  const flags: { path: string; bit: number; hasValue: boolean; value: unknown }[] = [];
  const raw = params['flags'] ?? [];
  if (!Array.isArray(raw)) {
    ctx.problem('flags', `expected a list of {path, bit, value?}, got ${JSON.stringify(raw)}`);
  } else {
    raw.forEach((f: unknown, i) => {
      if (f === null || typeof f !== 'object' || Array.isArray(f)) {
        ctx.problem(['flags', i], `expected {path, bit, value?}, got ${JSON.stringify(f)}`);
        return;
      }
      const flag = f as Record<string, unknown>;
      for (const k of Object.keys(flag)) {
        if (!['path', 'bit', 'value'].includes(k))
          ctx.problem(['flags', i, k], `unknown key "${k}"; expected one of path, bit, value`);
      }
      const path = flag['path'];
      const bit = flag['bit'];
      let ok = true;
      if (typeof path !== 'string' || path === '') {
        ctx.problem(
          ['flags', i, 'path'],
          `expected one of the trait's field paths, got ${JSON.stringify(path)}`,
        );
        ok = false;
      } else if (!ctx.fields.includes(path)) {
        ctx.problem(
          ['flags', i, 'path'],
          `"${path}" is not one of the trait's fields (${ctx.fields.join(', ')}); a flag can only test a field the trait reads`,
        );
        ok = false;
      }
      if (typeof bit !== 'number' || !Number.isInteger(bit) || bit < 0 || bit > 52) {
        ctx.problem(['flags', i, 'bit'], `expected a bit number 0-52, got ${JSON.stringify(bit)}`);
        ok = false;
      }
      if (ok)
        flags.push({
          path: path as string,
          bit: bit as number,
          hasValue: 'value' in flag,
          value: flag['value'],
        });
    });
  }
  return function bitfield(matches) {
    let out = initial;
    for (const flag of flags) {
      const m = matches.find((x) => x.path === flag.path);
      if (m === undefined) continue;
      if (flag.hasValue && m.value !== flag.value && asText(m.value) !== asText(flag.value)) continue;
      out += Math.floor(out / 2 ** flag.bit) % 2 === 1 ? 0 : 2 ** flag.bit;
    }
    return out;
  };
};

/**
 * `timedelta`: the absolute number of seconds between the trait's two datetime
 * fields (e.g. `[payload.created_at, payload.launched_at]`); omitted unless both
 * are present and parse.
 */
export const timedeltaPlugin: TraitPluginFactory = (params, ctx) => {
  checkKnown(params, [], ctx);
  if (ctx.fields.length !== 2) {
    ctx.problem([], `timedelta needs exactly two fields (start, end), the trait has ${ctx.fields.length}`);
  }
  const [first, second] = ctx.fields;
  return function timedelta(matches) {
    const a = matches.find((m) => m.path === first);
    const b = matches.find((m) => m.path === second);
    if (a === undefined || b === undefined) return undefined;
    const ta = parseDatetime(a.value);
    const tb = parseDatetime(b.value);
    if (ta === undefined || tb === undefined) return undefined;
    return Math.abs(tb.us - ta.us) / 1_000_000;
  };
};

/** The plugins every distiller knows. */
export const BUILTIN_PLUGINS: Readonly<Record<string, TraitPluginFactory>> = {
  split: splitPlugin,
  bitfield: bitfieldPlugin,
  timedelta: timedeltaPlugin,
};
