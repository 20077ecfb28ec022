import { unlinkSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { threadId } from 'node:worker_threads';
import { WaymarkError } from '../model/errors.js';
import { FieldSlot, staticField, type FieldSpec } from './fields.js';
import {
  headerSize,
  headerSizeV2,
  METRIC_CODES,
  MMSTATS_VERSION,
  MMSTATS_VERSION_2,
  UNBUFFERED,
  valueSize,
} from './format.js';
import { loadMmap } from './native/mmap.js';
import { expandTemplate, filesTemplate, statsDir } from './paths.js';

/** The handle every stats group has besides its fields. */
export interface StatsHandle {
  /** The file being published. */
  readonly path: string;
  /** Flush the mapping to disk (optional: readers see updates without it). */
  flush(): void;
  /** Unmap and remove the file. Idempotent; field updates after it go nowhere. */
  close(): void;
}

type WriterOf<S> = S extends FieldSpec<infer W> ? W : never;

/** A stats group: one writer per field key, plus {@link StatsHandle}. */
export type Stats<F extends Record<string, FieldSpec>> = {
  readonly [K in keyof F]: WriterOf<F[K]>;
} & StatsHandle;

export interface StatsOptions<F extends Record<string, FieldSpec>> {
  fields: F;
  /** Prepended to every label, e.g. `web.stats.`. */
  prefix?: string;
  /** The directory (default `MMSTATS_PATH`, else the OS temp dir). */
  path?: string;
  /** The file name template (default `MMSTATS_FILES`, else `{CMD}-{PID}-{TID}.mmstats`). */
  filename?: string;
  /** Where `MMSTATS_*` are read (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  /** Skip the static `sys.*` fields (pid, tid, uid, gid, created). */
  noSysFields?: boolean;
  /**
   * The format version. Default: 1 (readable by Python's mmstats) unless a
   * field needs 2 (a histogram). Pass 2 to record every field's metric type.
   */
  version?: 1 | 2;
}

const RESERVED = new Set(['path', 'flush', 'close']);
const open = new Map<string, () => void>();
let exitHookInstalled = false;

function closeAllOnExit(): void {
  for (const close of [...open.values()]) close();
}

function sysFields(): Record<string, FieldSpec> {
  const id = (f: (() => number) | undefined): number => (f === undefined ? 0 : f());
  return {
    'sys.pid': staticField('sys.pid', process.pid, 'I'),
    'sys.tid': staticField('sys.tid', threadId, 'q'),
    'sys.uid': staticField('sys.uid', id(process.getuid), 'Q'),
    'sys.gid': staticField('sys.gid', id(process.getgid), 'Q'),
    'org.nodejs.version': staticField('org.nodejs.version', process.version, '64s'),
    'sys.created': staticField('sys.created', Date.now() / 1000, 'd'),
  };
}

function chooseVersion(asked: 1 | 2 | undefined, specs: readonly FieldSpec[]): 1 | 2 {
  const needs2 = specs.find((s) => s.v2Only === true);
  if (asked === undefined) return needs2 === undefined ? MMSTATS_VERSION : MMSTATS_VERSION_2;
  if (asked !== MMSTATS_VERSION && asked !== MMSTATS_VERSION_2) {
    throw new WaymarkError(`stats: version must be 1 or 2, got ${String(asked)}`);
  }
  if (asked === 1 && needs2 !== undefined) {
    throw new WaymarkError(
      `stats: field ${needs2.label} (${needs2.kind}) needs format version 2; drop version: 1 or the field`,
    );
  }
  return asked;
}

function commandName(): string {
  const script = process.argv[1];
  if (script === undefined || script === '') return basename(process.argv0);
  return basename(script, extname(script));
}

/**
 * Publish stats in an mmstats file: version 1 (readable by `waymark stats slurp`
 * and Python's mmstats), or version 2 when a field needs it (a histogram).
 * Updates are plain memory stores into the mapped file. Field keys and labels
 * may come from configuration at run time (see src/stats/README.md).
 *
 * @example
 * const web = stats({ prefix: 'web.stats.', fields: { status2xx: counter('status.2XX'), lastHit: double('timers.last_hit') } });
 * web.status2xx.incr();
 * web.lastHit.set(1.5);
 * web.close();
 */
export function stats<const F extends Record<string, FieldSpec>>(options: StatsOptions<F>): Stats<F> {
  const env = options.env ?? process.env;
  const prefix = options.prefix ?? '';
  for (const key of Object.keys(options.fields)) {
    if (RESERVED.has(key)) throw new WaymarkError(`stats: a field may not be named "${key}" (reserved)`);
  }
  const entries: [string | undefined, FieldSpec][] = Object.entries(options.fields);
  if (options.noSysFields !== true) {
    for (const s of Object.values(sysFields())) entries.push([undefined, s]);
  }
  const version = chooseVersion(
    options.version,
    entries.map(([, spec]) => spec),
  );
  const labels = new Set<string>();
  const enc = new TextEncoder();
  // One pass assigns every field its offsets (a histogram's payload aligns to the file offset).
  let at = 1;
  const layout = entries.map(([key, spec]) => {
    const label = enc.encode(prefix + spec.label);
    const type = enc.encode(spec.type);
    const size = valueSize(spec.type);
    if (size === undefined && spec.payloadSize === undefined)
      throw new WaymarkError(`stats: field ${spec.label} has an unknown type "${spec.type}"`);
    if (label.length > 65535) throw new WaymarkError(`stats: label ${spec.label} is longer than 65535 bytes`);
    if (labels.has(prefix + spec.label))
      throw new WaymarkError(`stats: label ${prefix + spec.label} is used twice`);
    labels.add(prefix + spec.label);
    const start = at;
    const wbOffset =
      at +
      (version === 1 ? headerSize(label.length, type.length) : headerSizeV2(label.length, type.length)) -
      1;
    const payload = spec.payloadSize?.(wbOffset + 1) ?? (size ?? 0) * (spec.buffered ? 2 : 1);
    at = wbOffset + 1 + payload;
    return { key, spec, label, type, start, end: at, size: spec.payloadSize ? payload : (size ?? 0) };
  });
  // Room for the end marker: a zero label size (v1) or field size (v2).
  const bytes = at + (version === 1 ? 2 : 4);

  const file = join(
    options.path ?? statsDir(env),
    expandTemplate(options.filename ?? filesTemplate(env), {
      cmd: commandName(),
      pid: process.pid,
      tid: threadId,
    }),
  );
  if (open.has(file)) {
    throw new WaymarkError(
      `stats: ${file} is already published by this thread; pass another filename or prefix`,
    );
  }
  const mmap = loadMmap(env);
  let buffer: Buffer;
  try {
    buffer = mmap.map(file, bytes);
  } catch (cause) {
    throw new WaymarkError(`stats: cannot publish ${file}: ${(cause as Error).message}`, { cause });
  }
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  view.setUint8(0, version);
  const slots: FieldSlot[] = [];
  const handle: Record<string, unknown> = {};
  for (const f of layout) {
    let p = f.start;
    if (version !== 1) {
      view.setUint32(p, f.end - f.start, true);
      p += 4;
    }
    view.setUint16(p, f.label.length, true);
    buffer.set(f.label, p + 2);
    p += 2 + f.label.length;
    view.setUint16(p, f.type.length, true);
    buffer.set(f.type, p + 2);
    p += 2 + f.type.length;
    if (version !== 1) view.setUint8(p++, METRIC_CODES[f.spec.metric]);
    view.setUint8(p, f.spec.buffered ? 0 : UNBUFFERED);
    const slot = new FieldSlot(view, p, p + 1, f.size);
    slots.push(slot);
    const writer = f.spec.create(slot);
    if (f.key !== undefined) handle[f.key] = writer;
  }
  // The zero label size (v1) or field size (v2) that ends the list is already there: the file is zero-filled.

  let closed = false;
  const close = (): void => {
    if (closed) return;
    closed = true;
    open.delete(file);
    // Later updates land in scratch memory instead of throwing on a detached buffer.
    const scratch = new DataView(new ArrayBuffer(bytes));
    for (const s of slots) s.view = scratch;
    mmap.unmap(buffer);
    try {
      unlinkSync(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  };
  open.set(file, close);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', closeAllOnExit);
  }
  Object.defineProperties(handle, {
    path: { value: file, enumerable: false },
    flush: {
      value: (): void => {
        if (!closed) mmap.msync(buffer);
      },
      enumerable: false,
    },
    close: { value: close, enumerable: false },
  });
  return handle as Stats<F>;
}
