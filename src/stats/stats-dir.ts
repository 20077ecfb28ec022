import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WaymarkError } from '../model/errors.js';
import { parseStatsFile, type ParsedStats } from './reader.js';

/** The file-name glob readers use by default. */
export const DEFAULT_GLOB = '*.mmstats';

/** A file-name glob that could reach outside the stats directory, or is not a glob we read. */
export class StatsGlobError extends WaymarkError {
  override name = 'StatsGlobError';
}

/** A file of the directory that could not be read, and why. */
export interface UnreadableFile {
  /** The file name, inside the stats directory. */
  file: string;
  reason: string;
}

/** One file's fields, read at one moment. */
export interface StatsFileSnapshot extends ParsedStats {
  /** The file name, inside the stats directory. */
  file: string;
}

/** Every matching file of a stats directory: the ones read, and the ones that could not be. */
export interface StatsDirSnapshot {
  dir: string;
  files: StatsFileSnapshot[];
  unreadable: UnreadableFile[];
}

export interface ReadStatsDirOptions {
  /** The stats directory. */
  dir: string;
  /** A glob over file names in `dir` (`*` and `?`; default `*.mmstats`); see {@link checkGlob}. */
  glob?: string;
  /** Reads one file (default `readFileSync`); a seam for tests and other file systems. */
  readFile?: (path: string) => Uint8Array;
}

/**
 * Check a file-name glob: `*` (any run of characters) and `?` (one character)
 * over the names of the stats directory, nothing else. A glob holding `/`, `\`,
 * `..`, a NUL or an absolute path is refused, so it never reaches outside the
 * directory. Returns a matcher for names.
 *
 * @example
 * checkGlob('web-*.mmstats')('web-1-0.mmstats') // true
 */
export function checkGlob(glob: string): (name: string) => boolean {
  if (typeof glob !== 'string' || glob === '')
    throw new StatsGlobError('empty glob; expected e.g. "*.mmstats"');
  if (glob.includes('/') || glob.includes('\\') || glob.includes('\0') || glob.includes('..')) {
    throw new StatsGlobError(
      `glob ${JSON.stringify(glob)} may only match file names inside the stats directory: no "/", "\\", ".." or NUL`,
    );
  }
  if (/[[\]{}]/.test(glob)) {
    throw new StatsGlobError(`glob ${JSON.stringify(glob)}: only * and ? are supported, not [ ] or { }`);
  }
  const body = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  const re = new RegExp(`^${body}$`, 's');
  return (name) => re.test(name);
}

function reasonOf(err: unknown, file: string): string {
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'ENOENT') return 'vanished while being read (ENOENT): its writer probably closed it';
  const msg = e.message ?? String(err);
  // Reader errors start with the name they were given; say it once.
  return msg.startsWith(`${file}: `) ? msg.slice(file.length + 2) : msg;
}

/**
 * Read every file of `dir` whose name matches `glob`, in name order. A file
 * that cannot be read (corrupt, truncated, an unknown version, not a regular
 * file, gone between listing and reading) is listed in `unreadable` with the
 * reason, and the others are still read. Reading has no effect on writers.
 *
 * @example
 * const { files, unreadable } = readStatsDir({ dir: statsDir() });
 */
export function readStatsDir(options: ReadStatsDirOptions): StatsDirSnapshot {
  const match = checkGlob(options.glob ?? DEFAULT_GLOB);
  const read = options.readFile ?? readFileSync;
  const snapshot: StatsDirSnapshot = { dir: options.dir, files: [], unreadable: [] };
  let entries;
  try {
    entries = readdirSync(options.dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return snapshot;
    throw new WaymarkError(`cannot list the stats directory ${options.dir}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const names = entries
    .filter((e) => match(e.name))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of names) {
    const file = entry.name;
    // Symbolic links could point outside the directory; directories are no stats files.
    if (!entry.isFile()) {
      snapshot.unreadable.push({
        file,
        reason: entry.isSymbolicLink() ? 'a symbolic link, not read' : 'not a regular file',
      });
      continue;
    }
    try {
      snapshot.files.push({ file, ...parseStatsFile(read(join(options.dir, file)), file) });
    } catch (err) {
      snapshot.unreadable.push({ file, reason: reasonOf(err, file) });
    }
  }
  return snapshot;
}
