import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
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
/** An environment variable naming another addon file to load (a prebuilt one, or a test's missing one). */
export const ADDON_ENV = 'WAYMARK_MMAP_ADDON';

const FIX = `install g++, make and python3, then run npm rebuild in the waymark package (or set ${ADDON_ENV} to a built waymark_mmap.node)`;

const loaded = new Map<string, MmapAddon>();

/**
 * The native mmap addon, loaded once: `WAYMARK_MMAP_ADDON` in `env` if set,
 * else the one node-gyp built. Throws {@link MmapAddonError} saying how to fix
 * it when the file is missing or does not load.
 *
 * @example
 * const buf = loadMmap().map('/tmp/x.mmstats', 4096);
 */
export function loadMmap(env: NodeJS.ProcessEnv = process.env): MmapAddon {
  const override = env[ADDON_ENV];
  // Compiled to dist/src/stats/native/mmap.js: the root is four levels up.
  const path =
    override !== undefined && override !== ''
      ? resolve(override)
      : fileURLToPath(new URL(`../../../../${ADDON_PATH}`, import.meta.url));
  const cached = loaded.get(path);
  if (cached !== undefined) return cached;
  const what = override !== undefined && override !== '' ? `${path} (from ${ADDON_ENV})` : ADDON_PATH;
  if (!existsSync(path)) {
    throw new MmapAddonError(`the mmap addon was not built (${what} is missing): ${FIX}`);
  }
  let addon: MmapAddon;
  try {
    addon = createRequire(import.meta.url)(path) as MmapAddon;
  } catch (cause) {
    throw new MmapAddonError(`the mmap addon ${what} does not load (${(cause as Error).message}): ${FIX}`, {
      cause,
    });
  }
  if (typeof addon.map !== 'function' || typeof addon.unmap !== 'function') {
    throw new MmapAddonError(`the mmap addon ${what} is not waymark's (no map/unmap): ${FIX}`);
  }
  loaded.set(path, addon);
  return addon;
}
