import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';

/** The default file name template, as in mmstats. */
export const DEFAULT_FILES = '{CMD}-{PID}-{TID}.mmstats';

/** The stats directory: `MMSTATS_PATH`, else the OS temp dir. */
export function statsDir(env: NodeJS.ProcessEnv = process.env): string {
  const p = env['MMSTATS_PATH'];
  return p !== undefined && p !== '' ? p : tmpdir();
}

/** The readers' glob: `MMSTATS_GLOB`, else `<stats dir>/*.mmstats`. */
export function statsGlob(env: NodeJS.ProcessEnv = process.env): string {
  const g = env['MMSTATS_GLOB'];
  return g !== undefined && g !== '' ? g : join(statsDir(env), '*.mmstats');
}

/** The file name template: `MMSTATS_FILES`, else {@link DEFAULT_FILES}. */
export function filesTemplate(env: NodeJS.ProcessEnv = process.env): string {
  const t = env['MMSTATS_FILES'];
  return t !== undefined && t !== '' ? t : DEFAULT_FILES;
}

/** Fill `{CMD}`, `{PID}`, `{TID}` in a file name template. */
export function expandTemplate(template: string, vars: { cmd: string; pid: number; tid: number }): string {
  return template
    .replaceAll('{CMD}', vars.cmd.replace(/[/\\]/g, '_'))
    .replaceAll('{PID}', String(vars.pid))
    .replaceAll('{TID}', String(vars.tid));
}

/** The pid a file name made from `template` carries, if it has one. */
export function pidFromName(template: string, name: string): number | undefined {
  const parts = template.split(/(\{CMD\}|\{PID\}|\{TID\})/);
  const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const source = parts
    .map((p) => (p === '{PID}' ? '(?<pid>\\d+)' : p === '{TID}' ? '\\d+' : p === '{CMD}' ? '.*' : esc(p)))
    .join('');
  if (!parts.includes('{PID}')) return undefined;
  const m = new RegExp(`^${source}$`).exec(name);
  const pid = Number(m?.groups?.['pid']);
  return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
}

function globToRegExp(pattern: string): RegExp {
  const body = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '[^/]*')
    .replace(/\?/g, '[^/]');
  return new RegExp(`^${body}$`);
}

/**
 * The files a glob names, sorted. Only the last path segment may hold `*` or
 * `?`: a glob never reaches outside its directory.
 */
export function listGlob(glob: string): string[] {
  const dir = dirname(glob);
  const re = globToRegExp(basename(glob));
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return names
    .filter((n) => re.test(n))
    .sort()
    .map((n) => join(dir, n));
}
