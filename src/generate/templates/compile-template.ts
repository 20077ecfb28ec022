import type { ConfigProblem } from '../../config/config-error.js';
import { US_PER_DAY, US_PER_SECOND, type Micros } from '../../model/instant.js';

/**
 * The named (non-indexed) placeholders of notigen templates. Each is filled from
 * the simulated instance an operation acts on (or a fresh one for a create).
 */
export const NAMED_PLACEHOLDERS = [
  'tenant_id',
  'user_id',
  'display_name',
  'host',
  'hostname',
  'node',
  'reservation_id',
  'image_name',
  'device_name',
  'publisher_id',
] as const;
export type NamedPlaceholder = (typeof NAMED_PLACEHOLDERS)[number];

type IndexedKind = 'UUID' | 'XUUID' | 'V4' | 'V6' | 'DT';
const HINT_KEY: Record<Exclude<IndexedKind, 'DT'>, string> = {
  UUID: 'uuid',
  XUUID: 'xuuid',
  V4: 'v4',
  V6: 'v6',
};
const HINT_KEYS = ['uuid', 'xuuid', 'v4', 'v6', 'time_map'];

/** How one placeholder gets its value for an operation. */
export type Slot =
  | { type: 'uuid' | 'xuuid' | 'v4' | 'v6'; name: string }
  /** The simulated instance's id (the UUID placeholder at `payload.instance_id`). */
  | { type: 'instance'; name: string }
  | { type: 'named'; name: string; field: NamedPlaceholder }
  /**
   * A datetime: operation base time plus `offset`, unless `bind` pins it to a
   * fact of the instance or the audit period (see README.md).
   */
  | { type: 'dt'; name: string; offset: Micros; bind?: DtBinding };

export type DtBinding = 'launched_at' | 'created_at' | 'audit_period_beginning' | 'audit_period_ending';

/**
 * A compiled JSON value. Strings with placeholders are pre-split into literal
 * parts and slot indexes, so instantiation is concatenation, never a regex.
 */
export type PlanNode =
  /** A value without placeholders; objects and lists are deep-frozen and shared by every instantiation. */
  | { k: 'lit'; v: unknown }
  | { k: 'slot'; slot: number }
  | { k: 'str'; lits: string[]; slots: number[] }
  | { k: 'obj'; keys: string[]; vals: PlanNode[] }
  | { k: 'arr'; items: PlanNode[] };

export interface CompiledNotification {
  plan: PlanNode;
  /** Offset of this notification's `timestamp` DT from the template's time zero. */
  offset: Micros;
  eventType: string;
}

/** A template file compiled once at load. */
export interface CompiledTemplate {
  file: string;
  /** File name up to the first `_` (`compute.instance.create.start`, `eod`). */
  operation: string;
  /** Truth kind: the operation without a trailing `.start`. */
  kind: string;
  slots: Slot[];
  /** Notifications sorted ascending by emit offset (stable). */
  notifications: CompiledNotification[];
  /** Earliest and latest notification offsets. */
  first: Micros;
  last: Micros;
  /** Slot of the instance id placeholder, or -1 for a template with no instance. */
  instanceSlot: number;
  creates: boolean;
  deletes: boolean;
  /** Statically known outcome: `completed`, `failed` or `never_ended`. */
  outcome: 'completed' | 'failed' | 'never_ended';
}

const PLACEHOLDER_RE = /\[\[\[\[([^\]]*)\]\]\]\]/g;
const INDEXED_RE = /^(UUID|XUUID|V4|V6|DT)_(\d+)$/;
const FAILURE_MESSAGE_RE = /\b(abort(ed)?|fail(ed|ure)?|error)\b/i;

interface Problems {
  add(path: string, message: string): void;
}

/** Offset in microseconds of a time_map entry `[days, seconds, microseconds]`. */
function timeMapOffset(v: unknown): Micros | undefined {
  if (!Array.isArray(v) || v.length !== 3) return undefined;
  if (!v.every((x) => typeof x === 'number' && Number.isSafeInteger(x))) return undefined;
  const [d, s, us] = v as [number, number, number];
  return d * US_PER_DAY + s * US_PER_SECOND + us;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function jsonPath(base: string, key: string | number): string {
  if (typeof key === 'number') return `${base}[${key}]`;
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${base}.${key}` : `${base}[${JSON.stringify(key)}]`;
}

/**
 * Validate and compile one parsed notigen template. Problems go to `problemsOut`
 * (every one found); the result is `undefined` when there were any.
 */
export function compileTemplate(
  file: string,
  fileName: string,
  doc: unknown,
  problemsOut: ConfigProblem[],
): CompiledTemplate | undefined {
  const before = problemsOut.length;
  const problems: Problems = { add: (path, message) => problemsOut.push({ file, path, message }) };
  if (!Array.isArray(doc)) {
    problems.add('', `expected a JSON list (context hints, then notifications), got ${describe(doc)}`);
    return undefined;
  }
  const hints: unknown = doc[0];
  if (!isRecord(hints) || !('time_map' in hints)) {
    problems.add(
      '[0]',
      `element 0 must be the context hints object {uuid, xuuid, v4, v6, time_map}, got ${describe(hints)}`,
    );
    return undefined;
  }
  for (const key of Object.keys(hints)) {
    if (!HINT_KEYS.includes(key))
      problems.add(`[0].${key}`, `unknown hints key; expected one of ${HINT_KEYS.join(', ')}`);
  }
  const counts: Record<string, number> = {};
  for (const kind of ['UUID', 'XUUID', 'V4', 'V6'] as const) {
    const key = HINT_KEY[kind];
    const n = hints[key];
    if (n === undefined) counts[kind] = 0;
    else if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) {
      problems.add(`[0].${key}`, `expected a non-negative integer count, got ${JSON.stringify(n)}`);
      counts[kind] = Infinity;
    } else counts[kind] = n;
  }
  const timeMap = new Map<string, Micros>();
  const badDt = new Set<string>();
  const tm = hints['time_map'];
  if (!isRecord(tm))
    problems.add(
      '[0].time_map',
      `expected an object of "[[[[DT_k]]]]": [days, seconds, microseconds], got ${describe(tm)}`,
    );
  else {
    for (const [key, value] of Object.entries(tm)) {
      const m = /^\[\[\[\[(DT_\d+)\]\]\]\]$/.exec(key);
      const path = `[0].time_map[${JSON.stringify(key)}]`;
      if (m === null) {
        problems.add(path, 'key must be a DT placeholder such as "[[[[DT_0]]]]"');
        continue;
      }
      const offset = timeMapOffset(value);
      if (offset === undefined) {
        problems.add(
          path,
          `expected [days, seconds, microseconds] (three integers), got ${JSON.stringify(value)}`,
        );
        badDt.add(m[1] as string);
        continue;
      }
      timeMap.set(m[1] as string, offset);
    }
  }
  if (doc.length < 2) problems.add('', 'no notifications after the context hints');

  // notigen names a template `<operation>_<n>.json`; splitting at the first `_`
  // would cut `compute.instance.power_off.start_4` to `compute.instance.power`.
  const stem = fileName.replace(/\.json$/, '');
  const numbered = /^(.+)_\d+$/.exec(stem);
  const operation = numbered !== null ? (numbered[1] as string) : (stem.split('_')[0] ?? stem);
  const kind = operation.endsWith('.start') ? operation.slice(0, -'.start'.length) : operation;
  const slots: Slot[] = [];
  const slotByName = new Map<string, number>();
  /** Last key each DT placeholder appears under, with its path depth, to decide bindings. */
  const dtKeys = new Map<number, Set<string>>();

  const slotFor = (name: string, path: string, key: string | number | undefined, depth: number): number => {
    const known = slotByName.get(name);
    if (known !== undefined) {
      noteDtKey(known, key, depth);
      return known;
    }
    let slot: Slot | undefined;
    const m = INDEXED_RE.exec(name);
    if (m !== null) {
      const kindName = m[1] as IndexedKind;
      const index = Number(m[2]);
      if (kindName === 'DT') {
        const offset = timeMap.get(name);
        if (offset === undefined) {
          if (!badDt.has(name)) problems.add(path, `[[[[${name}]]]] is not in the hints' time_map`);
        } else slot = { type: 'dt', name, offset };
      } else if (index >= (counts[kindName] ?? 0)) {
        problems.add(
          path,
          `[[[[${name}]]]] but the hints declare ${HINT_KEY[kindName]}: ${counts[kindName]}`,
        );
      } else {
        slot = { type: HINT_KEY[kindName] as 'uuid' | 'xuuid' | 'v4' | 'v6', name };
      }
    } else if ((NAMED_PLACEHOLDERS as readonly string[]).includes(name)) {
      slot = { type: 'named', name, field: name as NamedPlaceholder };
    } else {
      problems.add(
        path,
        `unknown placeholder [[[[${name}]]]]; expected UUID_k, XUUID_k, V4_k, V6_k, DT_k or one of ${NAMED_PLACEHOLDERS.join(', ')}`,
      );
    }
    if (slot === undefined) return -1;
    const index = slots.length;
    slots.push(slot);
    slotByName.set(name, index);
    noteDtKey(index, key, depth);
    return index;
  };
  const noteDtKey = (slot: number, key: string | number | undefined, depth: number): void => {
    if (slots[slot]?.type !== 'dt') return;
    let set = dtKeys.get(slot);
    if (set === undefined) dtKeys.set(slot, (set = new Set()));
    set.add(`${depth}:${String(key)}`);
  };

  const compileString = (
    s: string,
    path: string,
    key: string | number | undefined,
    depth: number,
  ): PlanNode => {
    if (!s.includes('[[[[')) return { k: 'lit', v: s };
    const lits: string[] = [];
    const slotIdx: number[] = [];
    let last = 0;
    for (const m of s.matchAll(PLACEHOLDER_RE)) {
      lits.push(s.slice(last, m.index));
      slotIdx.push(slotFor(m[1] as string, path, key, depth));
      last = m.index + m[0].length;
    }
    const rest = s.slice(last);
    if (rest.includes('[[[[') || lits.some((l) => l.includes('[[[['))) {
      problems.add(path, `malformed placeholder in ${JSON.stringify(s)}; expected [[[[NAME]]]]`);
    }
    lits.push(rest);
    if (slotIdx.length === 1 && lits[0] === '' && lits[1] === '')
      return { k: 'slot', slot: slotIdx[0] as number };
    return { k: 'str', lits, slots: slotIdx };
  };

  const compileValue = (
    v: unknown,
    path: string,
    key: string | number | undefined,
    depth: number,
  ): PlanNode => {
    if (typeof v === 'string') return compileString(v, path, key, depth);
    if (Array.isArray(v)) {
      const items = v.map((x, i) => compileValue(x, jsonPath(path, i), key, depth + 1));
      return items.every((x) => x.k === 'lit') ? { k: 'lit', v: deepFreeze(v) } : { k: 'arr', items };
    }
    if (isRecord(v)) {
      const keys = Object.keys(v);
      for (const k of keys) {
        if (k.includes('[[[['))
          problems.add(jsonPath(path, k), 'placeholders in object keys are not supported');
      }
      const vals = keys.map((k) => compileValue(v[k], jsonPath(path, k), k, depth + 1));
      // A notification itself is always rebuilt (its timestamp is a placeholder), so
      // consumers may set its top-level fields; nested literal parts are shared.
      return depth > 0 && vals.every((x) => x.k === 'lit')
        ? { k: 'lit', v: deepFreeze(v) }
        : { k: 'obj', keys, vals };
    }
    return { k: 'lit', v };
  };

  const notifications: CompiledNotification[] = [];
  const instanceSlots = new Set<number>();
  let hasStart = false;
  let hasEnd = false;
  let failed = false;
  let deletes = false;
  for (let i = 1; i < doc.length; i++) {
    const n: unknown = doc[i];
    const path = `[${i}]`;
    if (!isRecord(n)) {
      problems.add(path, `expected a notification object, got ${describe(n)}`);
      continue;
    }
    const eventType = n['event_type'];
    if (typeof eventType !== 'string' || eventType === '' || eventType.includes('[[[[')) {
      problems.add(`${path}.event_type`, 'expected a literal event type string');
      continue;
    }
    const plan = compileValue(n, path, undefined, 0);
    const ts = n['timestamp'];
    const tsMatch = typeof ts === 'string' ? /^\[\[\[\[(DT_\d+)\]\]\]\]$/.exec(ts) : null;
    if (tsMatch === null) {
      problems.add(`${path}.timestamp`, `expected a "[[[[DT_k]]]]" placeholder, got ${JSON.stringify(ts)}`);
      continue;
    }
    const offset = timeMap.get(tsMatch[1] as string);
    if (offset === undefined) continue; // reported by slotFor
    const payload = n['payload'];
    if (isRecord(payload)) {
      for (const idKey of ['instance_id', 'instance_uuid']) {
        const id = payload[idKey];
        if (typeof id !== 'string') continue;
        const m = /^\[\[\[\[(UUID_\d+)\]\]\]\]$/.exec(id);
        if (m === null) {
          problems.add(
            `${path}.payload.${idKey}`,
            `expected a "[[[[UUID_k]]]]" placeholder, got ${JSON.stringify(id)}`,
          );
        } else {
          const s = slotByName.get(m[1] as string);
          if (s !== undefined) instanceSlots.add(s);
        }
      }
      const message = payload['message'];
      if (eventType.endsWith('.end') && typeof message === 'string' && FAILURE_MESSAGE_RE.test(message))
        failed = true;
    }
    if (n['priority'] === 'ERROR' || eventType.endsWith('.error')) failed = true;
    if (eventType === `${kind}.start`) hasStart = true;
    if (eventType === `${kind}.end`) hasEnd = true;
    if (/\.delete\.(start|end)$/.test(eventType)) deletes = true;
    notifications.push({ plan, offset, eventType });
  }
  if (instanceSlots.size > 1) {
    problems.add(
      '',
      `payload.instance_id/instance_uuid use different placeholders (${[...instanceSlots].map((s) => slots[s]?.name).join(', ')}); one template must act on one instance`,
    );
  }
  if (problemsOut.length > before) return undefined;

  const instanceSlot = instanceSlots.size === 1 ? ([...instanceSlots][0] as number) : -1;
  const inst = slots[instanceSlot];
  if (inst !== undefined) slots[instanceSlot] = { type: 'instance', name: inst.name };
  const creates = instanceSlot >= 0 && /(^|\.)create$/.test(kind);
  const isEod = operation === 'eod';
  // Bind DTs that only ever describe one fact, so an instance's audit period,
  // launch and creation times are the same in every operation on it.
  for (const [slot, keys] of dtKeys) {
    const s = slots[slot];
    if (s?.type !== 'dt' || keys.size !== 1) continue;
    const only = [...keys][0] as string;
    if (isEod && (only.endsWith(':audit_period_beginning') || only.endsWith(':audit_period_ending'))) {
      s.bind = only.endsWith('beginning') ? 'audit_period_beginning' : 'audit_period_ending';
    } else if (instanceSlot >= 0 && !creates && (only === '2:launched_at' || only === '2:created_at')) {
      s.bind = only === '2:launched_at' ? 'launched_at' : 'created_at';
    }
  }
  notifications.sort((a, b) => a.offset - b.offset);
  const first = notifications[0]?.offset ?? 0;
  const last = notifications[notifications.length - 1]?.offset ?? 0;
  return {
    file,
    operation,
    kind: isEod ? (notifications[0]?.eventType ?? kind) : kind,
    slots,
    notifications,
    first,
    last,
    instanceSlot,
    creates,
    deletes: deletes && instanceSlot >= 0,
    outcome: failed ? 'failed' : hasStart && !hasEnd ? 'never_ended' : 'completed',
  };
}

function deepFreeze<T>(v: T): T {
  if (v !== null && typeof v === 'object') {
    for (const x of Object.values(v)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  return typeof v === 'object' ? 'an object' : `${typeof v} ${JSON.stringify(v)}`;
}

/** Build a fresh JSON value from a plan and the operation's slot values. */
export function instantiate(node: PlanNode, vals: readonly string[]): unknown {
  switch (node.k) {
    case 'lit':
      return node.v;
    case 'slot':
      return vals[node.slot];
    case 'str': {
      const { lits, slots } = node;
      let s = lits[0] as string;
      for (let i = 0; i < slots.length; i++)
        s += (vals[slots[i] as number] as string) + (lits[i + 1] as string);
      return s;
    }
    case 'obj': {
      const out: Record<string, unknown> = {};
      const { keys, vals: children } = node;
      for (let i = 0; i < keys.length; i++)
        out[keys[i] as string] = instantiate(children[i] as PlanNode, vals);
      return out;
    }
    case 'arr':
      return node.items.map((x) => instantiate(x, vals));
  }
}
