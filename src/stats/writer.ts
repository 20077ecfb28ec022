import { unlinkSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { threadId } from 'node:worker_threads';
import { WaymarkError } from '../model/errors.js';
import { FieldSlot, staticField, type FieldSpec } from './fields.js';
import { headerSize, MMSTATS_VERSION, UNBUFFERED, valueSize } from './format.js';
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

function commandName(): string {
  const script = process.argv[1];
  if (script === undefined || script === '') return basename(process.argv0);
  return basename(script, extname(script));
}

/**
 * Publish stats in an mmstats v1 file (readable by `waymark stats slurp` and
 * Python's mmstats). Updates are plain memory stores into the mapped file.
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
  const labels = new Set<string>();
  const enc = new TextEncoder();
  const layout = entries.map(([key, spec]) => {
    const label = enc.encode(prefix + spec.label);
    const type = enc.encode(spec.type);
    const size = valueSize(spec.type);
    if (size === undefined)
      throw new WaymarkError(`stats: field ${spec.label} has an unknown type "${spec.type}"`);
    if (label.length > 65535) throw new WaymarkError(`stats: label ${spec.label} is longer than 65535 bytes`);
    if (labels.has(prefix + spec.label))
      throw new WaymarkError(`stats: label ${prefix + spec.label} is used twice`);
    labels.add(prefix + spec.label);
    return {
      key,
      spec,
      label,
      type,
      size,
      total: headerSize(label.length, type.length) + size * (spec.buffered ? 2 : 1),
    };
  });
  const bytes = 1 + layout.reduce((n, f) => n + f.total, 0) + 2;

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
  const mmap = loadMmap();
  let buffer: Buffer;
  try {
    buffer = mmap.map(file, bytes);
  } catch (cause) {
    throw new WaymarkError(`stats: cannot publish ${file}: ${(cause as Error).message}`, { cause });
  }
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  view.setUint8(0, MMSTATS_VERSION);
  let at = 1;
  const slots: FieldSlot[] = [];
  const handle: Record<string, unknown> = {};
  for (const f of layout) {
    view.setUint16(at, f.label.length, true);
    buffer.set(f.label, at + 2);
    at += 2 + f.label.length;
    view.setUint16(at, f.type.length, true);
    buffer.set(f.type, at + 2);
    at += 2 + f.type.length;
    view.setUint8(at, f.spec.buffered ? 0 : UNBUFFERED);
    const slot = new FieldSlot(view, at, at + 1, f.size);
    slots.push(slot);
    at += 1 + f.size * (f.spec.buffered ? 2 : 1);
    const writer = f.spec.create(slot);
    if (f.key !== undefined) handle[f.key] = writer;
  }
  // The label size 0 that ends the list is already there: the file is zero-filled.

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
