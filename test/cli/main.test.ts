import { test } from 'node:test';
import assert from 'node:assert/strict';
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
