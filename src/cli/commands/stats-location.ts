import { basename, dirname, isAbsolute, resolve } from 'node:path';
import { statsDir } from '../../stats/paths.js';
import { checkGlob, DEFAULT_GLOB, StatsGlobError } from '../../stats/stats-dir.js';
import { UsageError, type CliIO } from '../command.js';

/**
 * The stats directory and file-name glob a reader command looks at: `--dir`
 * and `--glob` when given, else `MMSTATS_GLOB` split into its directory and
 * file-name glob, else `$MMSTATS_PATH` (or the OS temp dir) and `*.mmstats`.
 */
export function statsLocation(
  command: string,
  io: CliIO,
  flags: { dir?: string | undefined; glob?: string | undefined },
): { dir: string; glob: string } {
  const envGlob = io.env['MMSTATS_GLOB'];
  const fromEnv = envGlob !== undefined && envGlob !== '' && flags.dir === undefined;
  const dir =
    flags.dir !== undefined
      ? isAbsolute(flags.dir)
        ? flags.dir
        : resolve(io.cwd, flags.dir)
      : fromEnv
        ? dirname(envGlob)
        : statsDir(io.env);
  const glob = flags.glob ?? (fromEnv ? basename(envGlob) : DEFAULT_GLOB);
  try {
    checkGlob(glob);
  } catch (err) {
    if (err instanceof StatsGlobError)
      throw new UsageError(`waymark ${command}: ${err.message}`, { cause: err });
    throw err;
  }
  return { dir, glob };
}
