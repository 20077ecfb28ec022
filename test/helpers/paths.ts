import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';

/** The repository root (tests run compiled from dist/test/...). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** `../shared/reference` beside the clone: real user files, never copied into the repo. */
export const SHARED_REFERENCE = resolve(REPO_ROOT, '..', 'shared', 'reference');

/**
 * The path of a file under ../shared/reference, or `undefined` after marking the
 * test skipped — loudly, with the reason. Under CI=true a missing reference fails.
 */
export function sharedReference(t: TestContext, ...parts: string[]): string | undefined {
  const path = join(SHARED_REFERENCE, ...parts);
  if (existsSync(path)) return path;
  const reason = `../shared/reference/${parts.join('/')} is absent (a user's clone has no ../shared)`;
  if (process.env['CI'] === 'true') throw new Error(`${reason}; CI must run beside ../shared`);
  process.stderr.write(`SKIPPED: ${t.name}: ${reason}\n`);
  t.skip(reason);
  return undefined;
}
