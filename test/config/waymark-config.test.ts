import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { ConfigProblem } from '../../src/config/config-error.js';
import { resolveStoreUrl } from '../../src/config/store-url.js';
import {
  BUNDLED_CONFIG_FILES,
  defaultWaymarkConfig,
  loadWaymarkConfig,
  WAYMARK_CONFIG_KEYS,
  WINCHESTER_CONFIG_KEYS,
} from '../../src/config/waymark-config.js';
import { problemsOf } from '../engine/helpers.js';
import { REPO_ROOT } from '../helpers/paths.js';

function tmp(): { dir: string; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'waymark-config-'));
  return { dir, done: () => rmSync(dir, { recursive: true, force: true }) };
}

function write(dir: string, name: string, text = ''): string {
  const path = join(dir, name);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
  return path;
}

function expectProblem(problems: readonly ConfigProblem[], path: string, message: RegExp): ConfigProblem {
  const p = problems.find((x) => x.path === path && message.test(x.message));
  assert.ok(
    p,
    `no problem at ${path} matching ${message}; got:\n${problems.map((x) => `${x.path}: ${x.message}`).join('\n')}`,
  );
  return p;
}

test('the default config: bundled files, duckdb in the current directory, documented defaults', () => {
  const c = defaultWaymarkConfig({ cwd: '/srv/w', env: { MMSTATS_PATH: '/run/stats' } });
  assert.equal(c.file, undefined);
  for (const f of [...c.distillerFiles, ...c.triggerFiles, ...c.pipelineFiles]) assert.ok(existsSync(f), f);
  assert.deepEqual(
    c.distillerFiles.map((f) => f.slice(REPO_ROOT.length)),
    ['/definitions/openstack.yaml', '/definitions/testruns.yaml'],
  );
  assert.deepEqual(c.triggerFiles, [join(REPO_ROOT, 'definitions', 'triggers.yaml')]);
  assert.deepEqual(c.pipelineFiles, [join(REPO_ROOT, 'definitions', 'pipelines.yaml')]);
  assert.equal(c.storeUrl, 'duckdb:/srv/w/waymark.duckdb');
  assert.deepEqual(c.http, { host: '127.0.0.1', port: 8470 });
  assert.equal(c.statsDir, '/run/stats');
  assert.equal(defaultWaymarkConfig({ env: {} }).statsDir, tmpdir());
  assert.equal(c.clock, 'wall');
  assert.equal(c.latenessSeconds, 60);
  assert.deepEqual(c.retry, { maxAttempts: 5, backoffSeconds: 10 });
  assert.equal(c.pipelineTimeoutSeconds, 30);
  assert.equal(c.catchAll, false);
  assert.equal(c.purgeCompletedAfterSeconds, undefined);
  assert.equal(c.trimEventsAfterSeconds, undefined);
  assert.deepEqual(c.handlerModules, {});
  assert.deepEqual(c.warnings, []);
});

test('a winchester.yaml loads unchanged: config_path search, winchester handler classes, its database url', () => {
  const t = tmp();
  try {
    write(t.dir, 'etc/event_definitions.yaml');
    write(t.dir, 'etc/triggers.yaml');
    write(t.dir, 'etc/pipelines.yaml');
    write(t.dir, 'conf/pipelines.yaml'); // beside the config: config_path is searched first
    write(t.dir, 'conf/extra.yaml');
    const file = write(
      t.dir,
      'conf/winchester.yaml',
      `---
config_path:
    - ../etc
database:
    url: duckdb:state/winchester.duckdb
distiller_config: event_definitions.yaml
trigger_definitions: triggers.yaml
pipeline_config: [pipelines.yaml, extra.yaml]
pipeline_handlers:
    logger: winchester.pipeline_handler:LoggingHandler
    usage: winchester.pipeline_handler:UsageHandler
    notabene: winchester.pipeline_handler:NotabeneHandler
    atompub: winchester.pipeline_handler:AtomPubHandler
statistics_period: 5
pipeline_worker_batch_size: 500
pipeline_worker_delay: 10
catch_all_notifications: true
`,
    );
    const c = loadWaymarkConfig(file, { cwd: '/elsewhere', env: {} });
    assert.equal(c.file, file);
    assert.deepEqual(c.distillerFiles, [join(t.dir, 'etc/event_definitions.yaml')]);
    assert.deepEqual(c.triggerFiles, [join(t.dir, 'etc/triggers.yaml')]);
    assert.deepEqual(c.pipelineFiles, [join(t.dir, 'etc/pipelines.yaml'), join(t.dir, 'conf/extra.yaml')]);
    assert.deepEqual(c.handlerModules, {
      logger: { builtin: 'logger' },
      usage: { builtin: 'usage' },
      notabene: { builtin: 'publish' },
      atompub: { builtin: 'webhook' },
    });
    assert.equal(c.storeUrl, `duckdb:${join(t.dir, 'conf/state/winchester.duckdb')}`);
    assert.equal(c.statisticsPeriodSeconds, 5);
    assert.equal(c.batchSize, 500);
    assert.equal(c.workerDelaySeconds, 10);
    assert.equal(c.catchAll, true);
    assert.deepEqual(c.warnings, []);
    // A relative config file name is taken from cwd.
    assert.equal(loadWaymarkConfig('conf/winchester.yaml', { cwd: t.dir, env: {} }).file, file);
  } finally {
    t.done();
  }
});

test("waymark's own keys, JS handler modules, and what an empty file means", () => {
  const t = tmp();
  try {
    write(t.dir, 'handlers/audit.js', 'export default class {}\n');
    const file = write(
      t.dir,
      'waymark.yaml',
      `pipeline_handlers:
  audit: ./handlers/audit.js
  named: handlers/audit.js:AuditHandler
http: {host: 0.0.0.0, port: 9000}
stats: {dir: stats}
clock: event
lateness: 5m
retry: {max_attempts: 3, backoff: 1m 30s}
pipeline_timeout: 2
purge_completed_after: 1d
trim_events_after: 0s
database: {url: 'memory:'}
`,
    );
    const c = loadWaymarkConfig(file, { env: {} });
    assert.deepEqual(c.handlerModules, {
      audit: { module: join(t.dir, 'handlers/audit.js'), exportName: undefined },
      named: { module: join(t.dir, 'handlers/audit.js'), exportName: 'AuditHandler' },
    });
    assert.deepEqual(c.http, { host: '0.0.0.0', port: 9000 });
    assert.equal(c.statsDir, join(t.dir, 'stats'));
    assert.equal(c.clock, 'event');
    assert.equal(c.latenessSeconds, 300);
    assert.deepEqual(c.retry, { maxAttempts: 3, backoffSeconds: 90 });
    assert.equal(c.pipelineTimeoutSeconds, 2);
    assert.equal(c.purgeCompletedAfterSeconds, 86400);
    assert.equal(c.trimEventsAfterSeconds, 0);
    assert.equal(c.storeUrl, 'memory:');
    assert.deepEqual(c.triggerFiles, BUNDLED_CONFIG_FILES.triggers, 'file names left out: the bundled ones');

    const empty = write(t.dir, 'empty.yaml', '# nothing\n');
    const e = loadWaymarkConfig(empty, { cwd: '/w', env: {} });
    assert.equal(e.file, empty);
    assert.equal(
      e.storeUrl,
      'duckdb:/w/waymark.duckdb',
      'no database: the default store, in the current directory',
    );
    assert.deepEqual(e.distillerFiles, BUNDLED_CONFIG_FILES.distiller);
    // winchester's purge switch, and the ignored winchester keys (warnings, not errors)
    const purge = write(
      t.dir,
      'purge.yaml',
      'purge_completed_streams: true\ndistiller_trait_plugins: {upper: mypkg.plugins:Upper}\ntime_sync_endpoint: http://ts\nconfig_path: [nowhere]\n',
    );
    const p = loadWaymarkConfig(purge, { env: {} });
    assert.equal(p.purgeCompletedAfterSeconds, 0);
    assert.deepEqual(
      p.warnings.map((w) => [w.path, w.line]),
      [
        ['distiller_trait_plugins', 2],
        ['time_sync_endpoint', 3],
        ['config_path[0]', 4],
      ],
    );
    assert.match(p.warnings[2]?.message ?? '', /no such directory: .*nowhere; it is skipped/);
  } finally {
    t.done();
  }
});

test('store URLs: duckdb paths made absolute, postgres accepted, MySQL refused with what to use', () => {
  assert.deepEqual(resolveStoreUrl('duckdb:x.duckdb', '/etc/w'), { url: 'duckdb:/etc/w/x.duckdb' });
  assert.deepEqual(resolveStoreUrl('duckdb:/var/x.duckdb', '/etc/w'), { url: 'duckdb:/var/x.duckdb' });
  assert.deepEqual(resolveStoreUrl('memory:', '/'), { url: 'memory:' });
  assert.deepEqual(resolveStoreUrl('postgresql://w@db/waymark', '/'), { url: 'postgresql://w@db/waymark' });
  assert.deepEqual(resolveStoreUrl('postgres://w@db/waymark', '/'), { url: 'postgres://w@db/waymark' });
  const mysql = resolveStoreUrl('mysql://winchester:testpasswd@localhost/winchester', '/');
  assert.ok('problem' in mysql);
  assert.match(mysql.problem, /MySQL is not supported.*duckdb:FILE.*postgresql:\/\//);
  assert.ok('problem' in resolveStoreUrl('duckdb:', '/'));
  assert.match(
    (resolveStoreUrl('redis://x', '/') as { problem: string }).problem,
    /unsupported store URL "redis:\/\/x"; expected duckdb:PATH/,
  );
});

test('a bad config reports EVERY problem, each with file, path, line and what is expected', () => {
  const t = tmp();
  try {
    const file = write(
      t.dir,
      'waymark.yaml',
      `databse: {url: 'memory:'}
database:
  url: mysql://winchester@localhost/winchester
  pool: 5
trigger_definitions: [triggers.yaml, 7]
distiller_config: /no/such/defs.yaml
pipeline_config: []
pipeline_handlers:
  mine: mypkg.handlers:Mine
  gone: ./gone.js
  old: winchester.pipeline_handler:FancyHandler
  bad: 5
catch_all_notifications: 'yes'
statistics_period: -1
pipeline_worker_batch_size: 1.5
pipeline_worker_delay: soon
http: {hots: x, port: 70000}
stats: [dir]
clock: sometimes
lateness: 5 parsecs
retry: {max_attempts: 0, backoff: 0s}
pipeline_timeout: 1mo
purge_completed_after: -5
purge_completed_streams: 1
config_path: {a: b}
`,
    );
    const problems = problemsOf(() => loadWaymarkConfig(file, { env: {} }));
    for (const p of problems) {
      assert.equal(p.file, file);
      assert.equal(typeof p.line, 'number', p.path);
    }
    const typo = expectProblem(
      problems,
      'databse',
      /unknown key "databse" \(did you mean "database"\?\); expected one of config_path/,
    );
    assert.equal(typo.line, 1);
    expectProblem(problems, 'database.url', /MySQL is not supported/);
    expectProblem(problems, 'database.pool', /unknown key "pool"; expected one of url/);
    const notFound = expectProblem(
      problems,
      'trigger_definitions[0]',
      /"triggers.yaml" not found in .* \(the config_path directories, then the config file's directory\)/,
    );
    assert.equal(notFound.line, 5);
    expectProblem(problems, 'trigger_definitions[1]', /expected a trigger definitions file, got number 7/);
    expectProblem(problems, 'distiller_config', /no such file: \/no\/such\/defs.yaml/);
    expectProblem(
      problems,
      'pipeline_config',
      /expected a pipeline definitions file or a non-empty list of them, got a list/,
    );
    expectProblem(
      problems,
      'pipeline_handlers.mine',
      /expected a JS module path .*\(a Python simport spec cannot be loaded\)/,
    );
    expectProblem(problems, 'pipeline_handlers.gone', /no such module: .*gone\.js/);
    expectProblem(
      problems,
      'pipeline_handlers.old',
      /winchester handler "winchester.pipeline_handler:FancyHandler" has no waymark equivalent/,
    );
    expectProblem(problems, 'pipeline_handlers.bad', /expected a module such as .*got number 5/);
    expectProblem(problems, 'catch_all_notifications', /expected true or false, got string "yes"/);
    expectProblem(problems, 'statistics_period', /expected seconds \(a number > 0\), got number -1/);
    expectProblem(problems, 'pipeline_worker_batch_size', /expected a whole number >= 1, got number 1.5/);
    expectProblem(problems, 'pipeline_worker_delay', /expected seconds \(a number >= 0\), got string "soon"/);
    expectProblem(problems, 'http.hots', /unknown key "hots" \(did you mean "host"\?\)/);
    expectProblem(problems, 'http.port', /expected a whole number from 0 to 65535, got number 70000/);
    expectProblem(problems, 'stats', /expected a map with dir, got a list/);
    expectProblem(problems, 'clock', /expected one of wall, event, got string "sometimes"/);
    expectProblem(problems, 'lateness', /bad duration "5 parsecs"/);
    expectProblem(problems, 'retry.max_attempts', /expected a whole number >= 1, got number 0/);
    expectProblem(problems, 'retry.backoff', /expected a duration > 0, got "0s"/);
    expectProblem(problems, 'pipeline_timeout', /"mo" is a calendar unit/);
    expectProblem(problems, 'purge_completed_after', /expected a duration >= 0, got -5/);
    expectProblem(problems, 'purge_completed_streams', /expected true or false, got number 1/);
    expectProblem(problems, 'config_path', /expected a directory or a non-empty list of them, got a map/);
    assert.equal(problems.length, 26, problems.map((p) => `${p.path}: ${p.message}`).join('\n'));
  } finally {
    t.done();
  }
});

test('not a map, invalid YAML, a missing file', () => {
  const t = tmp();
  try {
    expectProblem(
      problemsOf(() => loadWaymarkConfig(write(t.dir, 'list.yaml', '- a\n'))),
      '',
      /expected a map of settings .*got a list/,
    );
    expectProblem(
      problemsOf(() => loadWaymarkConfig(write(t.dir, 'bad.yaml', 'a: [\n'))),
      '',
      /invalid YAML/,
    );
    const missing = problemsOf(() => loadWaymarkConfig(join(t.dir, 'nope.yaml')));
    assert.equal(missing[0]?.message, 'no such file');
    assert.equal(missing[0]?.file, join(t.dir, 'nope.yaml'));
  } finally {
    t.done();
  }
});

test('examples/waymark.yaml uses every key and loads the bundled files', () => {
  const file = join(REPO_ROOT, 'examples', 'waymark.yaml');
  const keys = Object.keys(parse(readFileSync(file, 'utf8')) as Record<string, unknown>);
  assert.deepEqual([...keys].sort(), [...WINCHESTER_CONFIG_KEYS, ...WAYMARK_CONFIG_KEYS].sort());
  const c = loadWaymarkConfig(file, { env: {} });
  assert.deepEqual(c.warnings, []);
  assert.deepEqual(c.distillerFiles, BUNDLED_CONFIG_FILES.distiller);
  assert.deepEqual(c.triggerFiles, BUNDLED_CONFIG_FILES.triggers);
  assert.deepEqual(c.pipelineFiles, BUNDLED_CONFIG_FILES.pipelines);
  assert.equal(c.storeUrl, `duckdb:${join(REPO_ROOT, 'examples', 'waymark.duckdb')}`);
  assert.equal(c.handlerModules['notabene'] !== undefined && 'builtin' in c.handlerModules['notabene'], true);
  assert.equal(c.purgeCompletedAfterSeconds, 7 * 86400);
});
