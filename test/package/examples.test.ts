import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/paths.js';

// The README sends users to these; they must keep running and saying something true.
const EXPECTED: Record<string, RegExp> = {
  generate: /^\d+ notifications, \d+ operations in one simulated hour/m,
  distill: /compute\.instance\.create\.end/,
  timex: /2014-0\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z/,
};

for (const [name, expected] of Object.entries(EXPECTED)) {
  test(`examples/${name}.ts runs and prints its result`, () => {
    const out = execFileSync(process.execPath, [join(REPO_ROOT, 'dist', 'examples', `${name}.js`)], {
      cwd: REPO_ROOT,
    }).toString();
    assert.match(out, expected);
  });
}
