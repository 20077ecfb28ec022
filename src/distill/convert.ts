import { Instant } from '../model/instant.js';
import type { TraitType, TraitValue } from '../model/event.js';
import { parseDatetime } from './fast-time.js';

/** Returned by a converter when a value is there but cannot become the trait's type. */
export const CONVERSION_FAILED: unique symbol = Symbol('conversion failed');

/** `undefined`: absent (no trait, not an error). */
export type Converted = TraitValue | undefined | typeof CONVERSION_FAILED;

export type Converter = (value: unknown) => Converted;

const INT_RE = /^\s*[+-]?\d+(?:\.0*)?\s*$/;
const FLOAT_RE = /^\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*$/;

function toText(v: unknown): Converted {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v === undefined || v === null) return undefined;
  return JSON.stringify(v);
}

function toInt(v: unknown): Converted {
  if (typeof v === 'number') return Number.isSafeInteger(v) ? v : CONVERSION_FAILED;
  if (typeof v === 'string') {
    if (v === '') return undefined;
    if (!INT_RE.test(v)) return CONVERSION_FAILED;
    const n = Math.trunc(Number(v));
    return Number.isSafeInteger(n) ? n : CONVERSION_FAILED;
  }
  if (typeof v === 'boolean') return v ? 1 : 0;
  return v === undefined || v === null ? undefined : CONVERSION_FAILED;
}

function toFloat(v: unknown): Converted {
  if (typeof v === 'number') return Number.isFinite(v) ? v : CONVERSION_FAILED;
  if (typeof v === 'string') {
    if (v === '') return undefined;
    return FLOAT_RE.test(v) ? Number(v) : CONVERSION_FAILED;
  }
  if (typeof v === 'boolean') return v ? 1 : 0;
  return v === undefined || v === null ? undefined : CONVERSION_FAILED;
}

function toDatetime(v: unknown): Converted {
  if (v instanceof Instant) return v;
  if (v === '' || v === undefined || v === null) return undefined;
  return parseDatetime(v) ?? CONVERSION_FAILED;
}

/**
 * The converter of a trait type. `text` keeps strings as they are (an empty
 * string too) and writes other values as text; for the other types an empty
 * string means "absent" (Nova writes `""` for a null date). `int` accepts
 * integers and integral strings (`"512"`, `512.0`); `float` numbers and numeric
 * strings; `datetime` what {@link Instant.tryParse} accepts (OpenStack's
 * `2014-06-11 16:09:41.123456`, ISO-8601 with or without a zone, epoch seconds).
 */
export function converterFor(type: TraitType): Converter {
  switch (type) {
    case 'text':
      return toText;
    case 'int':
      return toInt;
    case 'float':
      return toFloat;
    case 'datetime':
      return toDatetime;
  }
}

export const TRAIT_TYPES: readonly TraitType[] = ['text', 'int', 'float', 'datetime'];
