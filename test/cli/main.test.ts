import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/paths.js';
import { runCli } from '../helpers/run-cli.js';

test('help lists every command; unknown commands exit 2', async () => {
  const help = await runCli(['--help']);
  assert.equal(help.code, 0);
  for (const name of ['demo', 'generate', 'distill', 'timex'])
    assert.match(help.stdout, new RegExp(`\\n  ${name} `));
  const bad = await runCli(['frobnicate']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /unknown command "frobnicate"/);
});

test('--version prints the package version', async () => {
  const r = await runCli(['--version']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^\d+\.\d+\.\d+\n$/);
});

test('the CLI runs through its own first line, as the installed `waymark` command does (env -S node with its flags)', () => {
  const cli = join(REPO_ROOT, 'dist/src/cli/main.js');
  const first = readFileSync(cli, 'utf8').split('\n', 1)[0] ?? '';
  assert.match(first, /^#!\/usr\/bin\/env -S node --max-semi-space-size=\d+$/);
  chmodSync(cli, 0o755); // npm makes bin files executable on install; tsc does not
  const r = spawnSync(cli, ['--version'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
  assert.equal(r.stdout, `${pkg.version}\n`);
});
