import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { UsageError, type CliIO } from '../../src/cli/command.js';
import { resolveConfig } from '../../src/cli/config-flags.js';
import { REPO_ROOT, sharedReference } from '../helpers/paths.js';
import { runCli } from '../helpers/run-cli.js';

const FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'engine');
const PROBLEM_LINE = /^(\/[^:]+|[^/:][^:]*):(\d+):(\d+): (\S+): (.+)$/;

function tmp(): { dir: string; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'waymark-check-'));
  return { dir, done: () => rmSync(dir, { recursive: true, force: true }) };
}

function io(cwd: string, env: NodeJS.ProcessEnv = {}): CliIO {
  return {
    stdin: Readable.from([]),
    stdout: new PassThrough(),
    stderr: new PassThrough(),
    stderrIsTTY: false,
    env,
    cwd,
  };
}

const lines = (s: string): string[] => s.split('\n').filter((l) => l !== '');

test('waymark check with no config checks the bundled defaults: ok, exit 0', async () => {
  const r = await runCli(['check']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /^ok: \d+ event definitions, 3 triggers, 6 pipelines \(config: default\)\n$/);
  assert.equal(r.stderr, '');
});

test('waymark check --config examples/waymark.yaml', async () => {
  const r = await runCli(['check', '--config', join(REPO_ROOT, 'examples', 'waymark.yaml')]);
  assert.equal(r.code, 0, r.stdout);
  assert.match(
    r.stdout,
    /^ok: \d+ event definitions, 3 triggers, 6 pipelines \(config: .*examples\/waymark\.yaml\)\n$/,
  );
});

for (const flavour of ['winchester', 'sandbox'] as const) {
  test(`a winchester.yaml naming the ${flavour} reference files checks clean (warnings shown)`, async (t) => {
    const triggers = sharedReference(t, 'stacktach-configs', `${flavour}-triggers.yaml`);
    if (triggers === undefined) return;
    const d = tmp();
    try {
      const config = join(d.dir, 'winchester.yaml');
      writeFileSync(
        config,
        `config_path: ${dirname(triggers)}
distiller_config: ${flavour}-event_definitions.yaml
trigger_definitions: ${flavour}-triggers.yaml
pipeline_config: ${flavour}-pipelines.yaml
pipeline_handlers:
  logger: winchester.pipeline_handler:LoggingHandler
  usage: winchester.pipeline_handler:UsageHandler
  notabene: winchester.pipeline_handler:NotabeneHandler
database:
  url: duckdb:winchester.duckdb
`,
      );
      const r = await runCli(['check', '--config', config]);
      assert.equal(r.code, 0, r.stdout);
      const out = lines(r.stdout);
      if (flavour === 'winchester') {
        assert.equal(out.length, 2, r.stdout);
        assert.match(
          out[0] ?? '',
          /winchester-triggers\.yaml:20:5: warning: \[0\]\.match_criteria\[1\]\.map_distingushed_by: .*rename it to "map_distinguished_by"$/,
        );
        assert.match(
          out[1] ?? '',
          /^ok: \d+ event definitions, 1 trigger, 2 pipelines, 1 warning \(config: .*winchester\.yaml\)$/,
        );
      } else {
        assert.deepEqual(out.length, 1, r.stdout);
        assert.match(out[0] ?? '', /^ok: \d+ event definitions, 1 trigger, 2 pipelines \(config: /);
      }
    } finally {
      d.done();
    }
  });
}

test('every problem of every file is printed as FILE:LINE:COL: PATH: message; exit 2', async () => {
  const d = tmp();
  try {
    writeFileSync(join(d.dir, 'pipelines.yaml'), 'resize_tme: [logger]\nother:\n  - name: loger\n');
    writeFileSync(
      join(d.dir, 'defs.yaml'),
      '- event_type: compute.*\n  traits:\n    host: {feilds: payload.host}\n',
    );
    const config = join(d.dir, 'waymark.yaml');
    writeFileSync(
      config,
      `distiller_config: defs.yaml
trigger_definitions: [${join(FIXTURES, 'good-triggers.yaml')}, ${join(FIXTURES, 'bad-triggers.yaml')}]
pipeline_config: pipelines.yaml
`,
    );
    const r = await runCli(['check', '--config', config]);
    assert.equal(r.code, 2, r.stdout);
    const out = lines(r.stdout);
    const summary = out.pop() ?? '';
    assert.match(
      summary,
      /^22 problems \(loaded: 0 event definitions, 0 triggers, 0 pipelines\) \(config: .*waymark\.yaml\)$/,
    );
    for (const l of out) assert.match(l, PROBLEM_LINE);
    assert.ok(out.some((l) => /defs\.yaml:3:\d+: \[0\]\.traits\.host\.feilds: unknown key "feilds"/.test(l)));
    assert.ok(out.some((l) => /bad-triggers\.yaml:7:3: \[0\]\.fire_pipline: unknown key/.test(l)));
    assert.ok(
      out.some((l) =>
        /pipelines\.yaml:3:5: other\[0\]\.name: unknown handler "loger" \(did you mean "logger"\?\)/.test(l),
      ),
    );
    assert.equal(out.length, 22);
  } finally {
    d.done();
  }
});

test('pipelines the triggers name must exist (checked across files)', async () => {
  const d = tmp();
  try {
    writeFileSync(join(d.dir, 'pipelines.yaml'), 'resize_tme: [logger]\n');
    const config = join(d.dir, 'waymark.yaml');
    writeFileSync(
      config,
      `trigger_definitions: ${join(FIXTURES, 'good-triggers.yaml')}\npipeline_config: pipelines.yaml\n`,
    );
    const r = await runCli(['check', '--config', config]);
    assert.equal(r.code, 2, r.stdout);
    const out = lines(r.stdout);
    assert.equal(out.length, 2, r.stdout);
    assert.match(
      out[0] ?? '',
      /good-triggers\.yaml:13:3: \[0\]\.fire_pipeline: trigger resize_time: pipeline "resize_time" is not defined \(did you mean "resize_tme"\?\); defined pipelines: resize_tme$/,
    );
    assert.match(out[1] ?? '', /^1 problem \(loaded: \d+ event definitions, 1 trigger, 1 pipeline\)/);
  } finally {
    d.done();
  }
});

test('a bad config is reported and nothing else is loaded; a missing config file; bad flags', async () => {
  const d = tmp();
  try {
    const config = join(d.dir, 'waymark.yaml');
    writeFileSync(config, 'database:\n  url: mysql://w@localhost/winchester\nclokc: wall\n');
    const r = await runCli(['check', '--config', config]);
    assert.equal(r.code, 2);
    const out = lines(r.stdout);
    assert.match(out[0] ?? '', /waymark\.yaml:2:3: database\.url: MySQL is not supported/);
    assert.match(out[1] ?? '', /waymark\.yaml:3:1: clokc: unknown key "clokc" \(did you mean "clock"\?\)/);
    assert.equal(out[2], '2 problems (config: not loaded)');
    const missing = await runCli(['check', '--config', join(d.dir, 'nope.yaml')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stdout, /nope\.yaml: no such file\n1 problem \(config: not loaded\)\n$/);
    const env = await runCli(['check'], '', { WAYMARK_CONFIG: config });
    assert.equal(env.code, 2, 'WAYMARK_CONFIG is used when there is no --config');
    assert.match(env.stdout, /MySQL/);
  } finally {
    d.done();
  }
  const extra = await runCli(['check', 'extra']);
  assert.equal(extra.code, 2);
  assert.match(extra.stderr, /unexpected argument "extra"/);
  const help = await runCli(['check', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^usage: waymark check \[--config FILE\]/);
  const all = await runCli(['--help']);
  assert.match(all.stdout, /\n {2}check +check waymark\.yaml/);
});

test('resolveConfig: --config, else WAYMARK_CONFIG, else ./waymark.yaml, else the default; --store overrides', () => {
  const d = tmp();
  try {
    assert.equal(resolveConfig({}, io(d.dir)).file, undefined);
    assert.equal(resolveConfig({}, io(d.dir)).storeUrl, `duckdb:${join(d.dir, 'waymark.duckdb')}`);
    const local = join(d.dir, 'waymark.yaml');
    writeFileSync(local, "database: {url: 'memory:'}\n");
    const other = join(d.dir, 'other.yaml');
    writeFileSync(other, 'clock: event\n');
    assert.equal(resolveConfig({}, io(d.dir)).file, local);
    assert.equal(resolveConfig({}, io(d.dir, { WAYMARK_CONFIG: other })).file, other);
    assert.equal(resolveConfig({ config: 'waymark.yaml' }, io(d.dir, { WAYMARK_CONFIG: other })).file, local);
    assert.equal(resolveConfig({}, io(d.dir)).storeUrl, 'memory:');
    assert.equal(
      resolveConfig({ store: 'duckdb:x.duckdb' }, io(d.dir)).storeUrl,
      `duckdb:${join(d.dir, 'x.duckdb')}`,
    );
    assert.equal(resolveConfig({ store: 'postgresql://w@db/w' }, io(d.dir)).storeUrl, 'postgresql://w@db/w');
    assert.throws(
      () => resolveConfig({ store: 'mysql://x' }, io(d.dir)),
      (err) => err instanceof UsageError && /--store mysql:\/\/x: MySQL is not supported/.test(err.message),
    );
  } finally {
    d.done();
  }
});

test('check validates handler params with the real built-ins', async () => {
  const d = tmp();
  try {
    const pipelines = join(d.dir, 'p.yaml');
    writeFileSync(pipelines, 'build_time:\n  - name: meter\n    params: {meter: 5, strat: x}\n');
    const config = join(d.dir, 'waymark.yaml');
    writeFileSync(config, `pipeline_config: ${pipelines}\n`);
    const r = await runCli(['check', '--config', config]);
    assert.equal(r.code, 2);
    assert.match(r.stdout, /build_time\[0\]\.params\.meter/);
    assert.match(r.stdout, /strat/);
  } finally {
    d.done();
  }
});
