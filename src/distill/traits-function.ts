import type { TraitValue } from '../model/event.js';
import type { Notification } from '../model/notification.js';
import { CONVERSION_FAILED } from './convert.js';
import type { CompiledTrait } from './definitions.js';

/** Counts conversion errors of one notification (reused; reset by the caller). */
export interface ErrorCounter {
  count: number;
}

/** Reads every trait of a definition from a notification; absent traits are left out. */
export type TraitsFunction = (n: Notification, errors: ErrorCounter) => Record<string, TraitValue>;

/**
 * Generates one function per definition that reads all its traits. Plain key
 * paths are inlined as property reads with constant keys (so V8 caches them per
 * site), `payload` is read once, and trait names are constant stores: together
 * several times faster than a loop over closures storing variable keys. Names
 * and keys come from validated definitions and are embedded as JSON string
 * literals only; everything else is called through the closures.
 */
export function traitsFunction(traits: readonly CompiledTrait[]): TraitsFunction {
  const ex = traits.map((t) => t.extract);
  const cv = traits.map((t) => t.convert);
  const pv = traits.map((t) => t.inline?.perValue);
  const body: string[] = ['const t = {};', 'let raw, v, x;', 'const P = n["payload"];'];
  traits.forEach((trait, i) => {
    const inline = trait.inline;
    if (inline === undefined) {
      body.push(`raw = ex[${i}](n);`);
    } else {
      body.push('raw = undefined;');
      for (const keys of inline.paths) {
        const viaPayload = keys[0] === 'payload' && keys.length > 1;
        const steps = (viaPayload ? keys.slice(1) : keys).map(
          (k) => `x = x !== null && typeof x === 'object' ? x[${JSON.stringify(k)}] : undefined;`,
        );
        const take =
          inline.perValue === undefined
            ? 'raw = x;'
            : `x = pv[${i}](x); if (x !== undefined && x !== null) raw = x;`;
        body.push(
          `if (raw === undefined) { x = ${viaPayload ? 'P' : 'n'}; ${steps.join(' ')} if (x !== undefined && x !== null && typeof x !== 'function') { ${take} } }`,
        );
      }
    }
    body.push(
      `if (raw !== undefined) { if (raw === FAILED) e.count++; else { v = cv[${i}](raw); if (v === FAILED) e.count++; else if (v !== undefined) t[${JSON.stringify(trait.name)}] = v; } }`,
    );
  });
  body.push('return t;');
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- generated from validated definitions; see above
  const factory = new Function(
    'ex',
    'cv',
    'pv',
    'FAILED',
    `return function distillTraits(n, e) {\n${body.join('\n')}\n};`,
  ) as (...args: unknown[]) => TraitsFunction;
  return factory(ex, cv, pv, CONVERSION_FAILED);
}
