import { test } from 'node:test';
import assert from 'node:assert/strict';
import { YamlSource } from '../../src/config/yaml-source.js';
import { ConfigError, didYouMean } from '../../src/config/config-error.js';

test('merge keys, including merges of several anchors, resolve', () => {
  const src = YamlSource.parse(
    'defs.yaml',
    [
      'a: &a {x: 1, y: 1}',
      'b: &b {y: 2, z: 2}',
      'c:',
      '  <<: [*a, *b]',
      '  w: 3',
      'd:',
      '  <<: *a',
      '  x: 9',
    ].join('\n'),
  );
  assert.deepEqual(src.value, {
    a: { x: 1, y: 1 },
    b: { y: 2, z: 2 },
    c: { x: 1, y: 1, z: 2, w: 3 },
    d: { x: 9, y: 1 },
  });
});

test('syntax errors name the file, line and column', () => {
  assert.throws(
    () => YamlSource.parse('bad.yaml', 'a: 1\nb: [1, 2\nc: 3\n'),
    (e: unknown) => e instanceof ConfigError && /^bad\.yaml:\d+:\d+: invalid YAML/.test(e.message),
  );
  assert.throws(() => YamlSource.parse('dup.yaml', 'a: 1\na: 2\n'), /dup\.yaml:2:1: invalid YAML/);
});

test('problems collect with their path and line, typos get a suggestion', () => {
  const src = YamlSource.parse('t.yaml', '- event_type: x\n  feilds: y\n- event_type: z\n  traits: {}\n');
  const list = src.value as Record<string, unknown>[];
  src.checkKeys(list[0] as Record<string, unknown>, ['event_type', 'traits', 'fields'], [0]);
  src.problem([1, 'traits'], 'expected at least one trait');
  assert.equal(src.problemCount, 2);
  assert.throws(
    () => src.throwIfProblems(),
    (e: unknown) =>
      e instanceof ConfigError &&
      e.problems.length === 2 &&
      e.message.includes('t.yaml:2:3: [0].feilds: unknown key "feilds" (did you mean "fields"?)') &&
      e.message.includes('t.yaml:4:3: [1].traits: expected at least one trait'),
  );
});

test('a missing file is a config error, not a crash', () => {
  assert.throws(() => YamlSource.load('/nonexistent/defs.yaml'), /\/nonexistent\/defs\.yaml: no such file/);
  assert.equal(didYouMean('distinguised_by', ['distinguished_by', 'expiration']), 'distinguished_by');
  assert.equal(didYouMean('zzz', ['distinguished_by']), undefined);
});

test('problems are listed in file and line order, whatever order they were found in', () => {
  const e = new ConfigError([
    { file: 'b.yaml', path: 'x', message: 'third', line: 1 },
    { file: 'a.yaml', path: 'y', message: 'second', line: 9, column: 2 },
    { file: 'a.yaml', path: '', message: 'fourth? no: no line, so last of a.yaml' },
    { file: 'a.yaml', path: 'z', message: 'first', line: 2 },
  ]);
  assert.deepEqual(
    e.problems.map((p) => p.message),
    ['first', 'second', 'fourth? no: no line, so last of a.yaml', 'third'],
  );
  assert.match(e.message, /^4 problems:\n {2}a\.yaml:2:1: z: first\n/);
});
