import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventFromJSON } from '../../src/model/event.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { runCli } from '../helpers/run-cli.js';

const FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'distill');
const DEFS = join(FIXTURES, 'definitions.yaml');
const NOTES = join(FIXTURES, 'notifications.jsonl');

function tmp(): { dir: string; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'waymark-distill-'));
  return { dir, done: () => rmSync(dir, { recursive: true, force: true }) };
}

const lines = (s: string): string[] => s.split('\n').filter((l) => l !== '');

test('distill: JSON lines in, events out, counts on stderr (malformed lines, CRLF, blank lines)', async () => {
  const r = await runCli(['distill', '--definitions', DEFS, NOTES]);
  assert.equal(r.code, 0, r.stderr);
  const events = lines(r.stdout).map((l) => eventFromJSON(JSON.parse(l)));
  assert.deepEqual(
    events.map((e) => e.message_id),
    ['m-1', 'm-2', 'm-4', 'm-5', 'm-6'],
  );
  assert.equal(events[0]?.traits['memory_mb'], 512);
  assert.equal(events[0]?.traits['host'], 'host-1.example.com');
  assert.equal(String(events[1]?.traits['audit_period_ending']), '2014-06-12T00:00:00.000000Z');
  assert.match(r.stderr, /^distilled 5 {2}no definition 1 {2}bad 3 {2}trait conversion errors 2\n/);
  assert.match(r.stderr, /first bad line 4: not JSON/);
  assert.match(r.stderr, /--dead-letters/);
});

test('distill: stdin ("-" or nothing) and the bundled definitions by default', async () => {
  const input = readFileSync(NOTES, 'utf8');
  const a = await runCli(['distill'], input);
  const b = await runCli(['distill', '-'], input);
  assert.equal(a.code, 0, a.stderr);
  assert.equal(lines(a.stdout).length, 5);
  // The bundled file has a compute.instance.update definition with old_task_state etc.; m-4 gets converted.
  const m4 = lines(a.stdout).map(
    (l) => JSON.parse(l) as { message_id: string; traits: Record<string, unknown> },
  );
  assert.equal(m4.find((e) => e.message_id === 'm-1')?.traits['build_seconds'], 50.5);
  assert.equal(lines(b.stdout).length, 5);
  assert.match(a.stderr, /distilled 5 {2}no definition 1 {2}bad 3/);
});

test('distill --dead-letters keeps every bad line with its reason', async () => {
  const t = tmp();
  try {
    const dead = join(t.dir, 'dead.jsonl');
    const r = await runCli(['distill', '-d', DEFS, '--dead-letters', dead, NOTES]);
    assert.equal(r.code, 0, r.stderr);
    const rows = lines(readFileSync(dead, 'utf8')).map(
      (l) => JSON.parse(l) as { line_number: number; reason: string; line: string },
    );
    assert.deepEqual(
      rows.map((x) => x.line_number),
      [4, 6, 7],
    );
    assert.equal(rows[0]?.line, 'not json at all');
    assert.match(rows[1]?.reason ?? '', /got an array/);
    assert.match(rows[2]?.reason ?? '', /missing "message_id"/);
    assert.match(r.stderr, /all 3 in /);
  } finally {
    t.done();
  }
});

test('distill --json: counts as one JSON object; --catch-all keeps unknown types', async () => {
  const r = await runCli(['distill', '-d', DEFS, '--json', '--catch-all', NOTES]);
  assert.equal(r.code, 0, r.stderr);
  const summary = lines(r.stderr)
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .find((o) => o['summary'] === 'distill');
  assert.deepEqual(
    { ...summary, first_bad: undefined },
    {
      summary: 'distill',
      lines: 9,
      distilled: 6,
      no_definition: 0,
      bad: 3,
      conversion_errors: 2,
      first_bad: undefined,
    },
  );
  const caught = lines(r.stdout)
    .map((l) => JSON.parse(l) as { event_type: string; traits: Record<string, unknown> })
    .find((e) => e.event_type === 'identity.user.created');
  assert.deepEqual(caught?.traits, { service: 'identity' });
});

test('distill --plugins MODULE: a user plugin from a module default export', async () => {
  const plugins = join(REPO_ROOT, 'dist', 'test', 'fixtures', 'distill', 'plugins.js');
  const input = JSON.stringify({
    message_id: 'm',
    event_type: 'compute.instance.update',
    timestamp: '2014-06-11 16:09:41',
    payload: { state: 'active' },
  });
  const r = await runCli(['distill', '--plugins', plugins, '-d', join(FIXTURES, 'uses-upper.yaml')], input);
  assert.equal(r.code, 0, r.stderr);
  assert.equal((JSON.parse(r.stdout) as { traits: Record<string, unknown> }).traits['loud_state'], 'ACTIVE');
  // Without the module the plugin is unknown: a definitions error.
  const without = await runCli(['distill', '-d', join(FIXTURES, 'uses-upper.yaml')], input);
  assert.equal(without.code, 2);
  assert.match(
    without.stderr,
    /uses-upper\.yaml:5:\d+: \[0\]\.traits\.loud_state\.plugin: unknown plugin "upper"/,
  );
});

test('distill: bad plugin modules exit 2 with what is wrong', async () => {
  const t = tmp();
  try {
    const notRecord = join(t.dir, 'bad.mjs');
    writeFileSync(notRecord, 'export default 42;\n');
    const notFn = join(t.dir, 'bad2.mjs');
    writeFileSync(notFn, 'export default { upper: "no" };\n');
    const a = await runCli(['distill', '--plugins', notRecord], '');
    assert.equal(a.code, 2);
    assert.match(a.stderr, /default export must be an object/);
    const b = await runCli(['distill', '--plugins', notFn], '');
    assert.equal(b.code, 2);
    assert.match(b.stderr, /plugin "upper" must be a factory function/);
    const c = await runCli(['distill', '--plugins', join(t.dir, 'missing.mjs')], '');
    assert.equal(c.code, 2);
    assert.match(c.stderr, /cannot load the module/);
  } finally {
    t.done();
  }
});

test('distill: a typo in the definitions exits 2 with file, path and line', async () => {
  const t = tmp();
  try {
    const file = join(t.dir, 'typo.yaml');
    writeFileSync(file, '- event_type: compute.*\n  traits:\n    host:\n      feilds: payload.host\n');
    const r = await runCli(['distill', '-d', file], '');
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      /typo\.yaml:4:7: \[0\]\.traits\.host\.feilds: unknown key "feilds" \(did you mean "fields"\?\)/,
    );
    assert.equal(r.stdout, '');
  } finally {
    t.done();
  }
});

test('distill: bad YAML, a missing definitions file, a missing input, a bad flag', async () => {
  const t = tmp();
  try {
    const file = join(t.dir, 'broken.yaml');
    writeFileSync(file, '- event_type: [compute.*\n  traits: {}\n');
    const yaml = await runCli(['distill', '-d', file], '');
    assert.equal(yaml.code, 2);
    assert.match(yaml.stderr, /broken\.yaml:\d+:\d+: invalid YAML/);
    const missing = await runCli(['distill', '-d', join(t.dir, 'nope.yaml')], '');
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /nope\.yaml: no such file/);
    const input = await runCli(['distill', join(t.dir, 'no-input.jsonl')], '');
    assert.equal(input.code, 2);
    assert.match(input.stderr, /cannot read input .*no-input\.jsonl: no such file/);
    const flag = await runCli(['distill', '--definition', file], '');
    assert.equal(flag.code, 2);
    assert.match(flag.stderr, /usage: waymark distill/);
    const two = await runCli(['distill', 'a', 'b'], '');
    assert.equal(two.code, 2);
    assert.match(two.stderr, /unexpected argument "b"/);
  } finally {
    t.done();
  }
});

test('distill: a large input streams through with every line accounted for', async () => {
  const n = 5000;
  const input = Array.from({ length: n }, (_, i) =>
    JSON.stringify({
      message_id: `m-${i}`,
      event_type: i % 10 === 0 ? 'unknown.type' : 'compute.instance.update',
      timestamp: '2014-06-11 16:09:41.000000',
      payload: { instance_id: `i-${i}`, memory_mb: i },
    }),
  ).join('\r\n');
  const r = await runCli(['distill', '-d', DEFS, '--quiet'], input);
  assert.equal(r.code, 0, r.stderr);
  const out = lines(r.stdout);
  assert.equal(out.length, n - n / 10);
  assert.equal(
    (JSON.parse(out[out.length - 1] as string) as { traits: { memory_mb: number } }).traits.memory_mb,
    n - 1,
  );
  assert.match(r.stderr, /distilled 4,500 {2}no definition 500 {2}bad 0/);
});
