import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  MAX_NESTING_DEPTH,
  nestingDepth,
  nestsDeeperThan,
  splitIngestBody,
} from '../../src/server/split-ingest-body.js';

describe('splitIngestBody', () => {
  test('a JSON array: its elements, raw re-serialised', () => {
    const r = splitIngestBody('[ {"a": 1}, [2], "x" ]', { ndjson: false });
    assert.ok(r.ok);
    assert.equal(r.format, 'array');
    assert.deepEqual(r.items, [{ a: 1 }, [2], 'x']);
    assert.deepEqual(r.raw, ['{"a":1}', '[2]', '"x"']);
    assert.deepEqual(r.bad, []);
  });

  test('one object, or any other JSON value, is one item', () => {
    const r = splitIngestBody(' {"a":\n 1}\n', { ndjson: false });
    assert.ok(r.ok);
    assert.equal(r.format, 'object');
    assert.deepEqual(r.items, [{ a: 1 }]);
    assert.deepEqual(r.raw, ['{"a":\n 1}']);
    const n = splitIngestBody('42', { ndjson: false });
    assert.ok(n.ok);
    assert.deepEqual(n.items, [42]);
  });

  test('two objects on two lines are JSON lines, even without the NDJSON type', () => {
    const r = splitIngestBody('{"a":1}\n{"b":2}', { ndjson: false });
    assert.ok(r.ok);
    assert.equal(r.format, 'lines');
    assert.deepEqual(r.items, [{ a: 1 }, { b: 2 }]);
  });

  test('with ndjson, every line is an item, a bad line is reported with its number', () => {
    const r = splitIngestBody('\n{"a":1}\r\n  \n{bad\n[1,2]\n', { ndjson: true });
    assert.ok(r.ok);
    assert.deepEqual(r.items, [{ a: 1 }, [1, 2]]);
    assert.deepEqual(r.raw, ['{"a":1}', '[1,2]']);
    assert.equal(r.bad.length, 1);
    assert.equal(r.bad[0]!.line, 4);
    assert.equal(r.bad[0]!.payload, '{bad');
    assert.match(r.bad[0]!.reason, /^line 4: not JSON \(/);
  });

  test('broken JSON: an unclosed array, or a first line that is not JSON', () => {
    for (const body of [
      '[{"a":1},\n{"b":2}\n',
      '[{"a":1}]\n{"b":2}\n',
      '[{"a":1}, {"b":',
      '{"a":\n1',
      'hello\n{"a":1}',
    ]) {
      const r = splitIngestBody(body, { ndjson: false });
      assert.equal(r.ok, false, body);
      assert.match(!r.ok ? r.reason : '', /^body is not valid JSON/);
    }
  });

  test('nesting past the limit', () => {
    const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);
    assert.ok(splitIngestBody(deep(MAX_NESTING_DEPTH), { ndjson: false }).ok);
    const r = splitIngestBody(deep(MAX_NESTING_DEPTH + 1), { ndjson: false });
    assert.equal(r.ok, false);
    const lines = splitIngestBody(`${deep(MAX_NESTING_DEPTH + 1)}\n{}`, { ndjson: true });
    assert.ok(lines.ok);
    assert.deepEqual(lines.items, [{}]);
    assert.match(lines.bad[0]!.reason, /^line 1: nested more than 512 levels deep/);
  });

  test('nestsDeeperThan: counts brackets first, scans only when there are more than the limit', () => {
    // Many brackets, shallow: scanned, and not too deep.
    const wide = `[${'[],'.repeat(2000)}[]]`;
    assert.equal(nestsDeeperThan(wide, 10), false);
    // Deep: too deep, wherever the brackets are.
    assert.equal(nestsDeeperThan('['.repeat(11), 10), true);
    assert.equal(nestsDeeperThan(`{"a":${'['.repeat(11)}`, 10), true);
    // Exactly the limit is fine; brackets inside strings count for the bound, never for the depth.
    assert.equal(nestsDeeperThan('['.repeat(10), 10), false);
    assert.equal(nestsDeeperThan(`"${'['.repeat(50)}"`, 10), false);
    // Agrees with the scan on bodies of every shape.
    for (const text of [wide, '{"a": "[[[{{{\\"[[", "b": [1, {"c": []}]}', '[[[[', '{}', '', 'x']) {
      for (const limit of [0, 1, 2, 3, 5]) {
        assert.equal(
          nestsDeeperThan(text, limit),
          nestingDepth(text, limit) > limit,
          `${text.slice(0, 20)} / ${limit}`,
        );
      }
    }
  });

  test('nestingDepth ignores brackets inside strings and stops past the limit', () => {
    assert.equal(nestingDepth('{"a": "[[[{{{\\"[[", "b": [1, {"c": []}]}', 100), 4);
    assert.equal(nestingDepth('['.repeat(1_000_000), 10), 11);
    assert.equal(nestingDepth('"unterminated [[[', 10), 0);
  });
});
