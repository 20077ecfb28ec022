import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_NESTING_DEPTH, nestingDepth, splitIngestBody } from '../../src/server/split-ingest-body.js';

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

  test('nestingDepth ignores brackets inside strings and stops past the limit', () => {
    assert.equal(nestingDepth('{"a": "[[[{{{\\"[[", "b": [1, {"c": []}]}', 100), 4);
    assert.equal(nestingDepth('['.repeat(1_000_000), 10), 11);
    assert.equal(nestingDepth('"unterminated [[[', 10), 0);
  });
});
