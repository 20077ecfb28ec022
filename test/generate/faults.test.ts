import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FaultSpecError, parseFaults } from '../../src/generate/faults.js';

test('parseFaults reads every fault', () => {
  assert.deepEqual(parseFaults('drop=0.01,dup=0.01,reorder=30s,skew=2s,delay=500ms,malformed=0.001'), {
    drop: 0.01,
    dup: 0.01,
    reorder: 30_000_000,
    skew: 2_000_000,
    delay: 500_000,
    malformed: 0.001,
  });
  assert.deepEqual(parseFaults(' drop = 1% '), { drop: 0.01 });
  assert.deepEqual(parseFaults(''), {});
  assert.deepEqual(parseFaults('none'), {});
});

test('parseFaults: a clear error naming the bad item', () => {
  const cases: [string, RegExp][] = [
    ['drop=2', /"drop=2".*between 0 and 1/],
    ['drop=-0.1', /between 0 and 1/],
    ['dup=abc', /"dup=abc".*fraction/],
    ['bogus=1', /unknown fault "bogus".*accepted/],
    ['reorder=10x', /"reorder=10x".*unit/],
    ['skew=', /"skew="/],
    ['drop', /"drop".*NAME=VALUE/],
    ['drop=0.1,drop=0.2', /"drop" is given twice/],
    ['drop=0.1,,dup=0.1', /NAME=VALUE/],
  ];
  for (const [text, re] of cases) {
    assert.throws(
      () => parseFaults(text),
      (err: unknown) => err instanceof FaultSpecError && re.test(err.message),
      text,
    );
  }
});
