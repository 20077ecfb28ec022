import { Instant } from '../model/instant.js';
import type { TraitValue, WaymarkEvent } from '../model/event.js';
import type { TimexExpression, TimexVariables } from '../timex/index.js';

/** Prototype keys (`constructor`, `toString`): a trait of that name must be an own property. */
const PROTO_KEYS = new Set(Object.getOwnPropertyNames(Object.prototype));

/**
 * A reader of one trait, compiled once: `traits[name]`, guarded with `hasOwn`
 * only for names an object inherits (`constructor`), so the usual case is one
 * property read.
 */
export function traitReader(name: string): (e: WaymarkEvent) => TraitValue | undefined {
  if (PROTO_KEYS.has(name) || name === '__proto__') {
    return (e) => (Object.hasOwn(e.traits, name) ? e.traits[name] : undefined);
  }
  return (e) => e.traits[name];
}

/**
 * The variables of a timex expression, read from an event: each `$name` is the
 * event's datetime trait `name`; `$timestamp` is the event's timestamp unless
 * the event has a datetime trait called `timestamp`. Returns the variables, or
 * a reason (`trait audit_period_beginning: missing`) when one is missing or is
 * not a datetime.
 */
export function timexVarsReader(expr: TimexExpression): (e: WaymarkEvent) => TimexVariables | string {
  const readers = expr.variables.map((name) => ({ name, read: traitReader(name) }));
  return (e) => {
    const vars: Record<string, Instant> = {};
    for (const { name, read } of readers) {
      const v = read(e);
      if (v instanceof Instant) vars[name] = v;
      else if (name === 'timestamp') vars[name] = e.timestamp;
      else if (v === undefined) return `trait ${name}: missing (needed by "${expr.source}")`;
      else return `trait ${name}: ${formatValue(v)} is not a datetime (needed by "${expr.source}")`;
    }
    return vars;
  };
}

/** A trait value for messages: strings quoted, numbers as is, datetimes in ISO form. */
export function formatValue(v: TraitValue): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number') return String(v);
  return v.toISOString();
}
