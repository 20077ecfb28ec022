import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { WaymarkError } from '../../model/errors.js';

/** The native mmap addon's functions (src/stats/native/mmap.cc). */
export interface MmapAddon {
  /**
   * Create or truncate `path` to `size` rounded up to whole pages, map it shared
   * read/write and return a Buffer over the mapping (unmapped by {@link unmap}
   * or when the Buffer is collected).
   */
  map(path: string, size: number): Buffer;
  /** Flush the mapping to the file (optional: readers see writes without it). */
  msync(buffer: Buffer): void;
  /** Unmap now; the Buffer becomes empty (detached). Idempotent. */
  unmap(buffer: Buffer): void;
  /** The page size files are rounded up to (4096). */
  pageSize: number;
}

/** The addon is missing or does not load; the message says what to install. */
export class MmapAddonError extends WaymarkError {
  override name = 'MmapAddonError';
}

/** Where node-gyp puts the addon, relative to the repository root. */
export const ADDON_PATH = 'build/Release/waymark_mmap.node';

let loaded: MmapAddon | undefined;

/**
 * The native mmap addon, loaded once. Throws {@link MmapAddonError} naming what
 * to install when it was not built.
 *
 * @example
 * const buf = loadMmap().map('/tmp/x.mmstats', 4096);
 */
export function loadMmap(): MmapAddon {
  if (loaded !== undefined) return loaded;
  // Compiled to dist/src/stats/native/mmap.js: the root is four levels up.
  const url = new URL(`../../../../${ADDON_PATH}`, import.meta.url);
  if (!existsSync(url)) {
    throw new MmapAddonError(
      `the mmap addon was not built (${ADDON_PATH} is missing): install g++, make and python3, then run npm rebuild`,
    );
  }
  try {
    loaded = createRequire(import.meta.url)(fileURLToPath(url)) as MmapAddon;
  } catch (cause) {
    throw new MmapAddonError(
      `the mmap addon ${ADDON_PATH} does not load (${(cause as Error).message}): install g++, make and python3, then run npm rebuild`,
      { cause },
    );
  }
  return loaded;
}
