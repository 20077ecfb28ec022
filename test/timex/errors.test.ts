import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WaymarkError } from '../../src/model/errors.js';
import { parseTimex, TimexSyntaxError } from '../../src/timex/index.js';

/** The error parseTimex throws for `source` (fails the test if it does not throw one). */
function error(source: string, label?: string): TimexSyntaxError {
  try {
    parseTimex(source, label === undefined ? undefined : { label });
  } catch (e) {
    if (e instanceof TimexSyntaxError) return e;
    throw e;
  }
  assert.fail(`expected ${JSON.stringify(source)} to be rejected`);
}

test("the spec's example, verbatim", () => {
  const e = error('$last + 1 hx', 'expiration');
  assert.equal(e.message, 'expiration "$last + 1 hx": unknown unit "hx" at column 10');
  assert.equal(e.name, 'TimexSyntaxError');
  assert.ok(e instanceof WaymarkError);
  assert.equal(e.source, '$last + 1 hx');
  assert.equal(e.label, 'expiration');
  assert.equal(e.column, 10);
  assert.equal(e.detail, 'unknown unit "hx" at column 10');
  // The caret covers the unit slot after the number.
  assert.equal(e.caret(), '$last + 1 hx\n         ^~~');
});

test('without a label the prefix is timex', () => {
  assert.equal(error('$last + 1hx').message, 'timex "$last + 1hx": unknown unit "hx" at column 10');
});

// [source, column, message after the prefix] — columns counted by hand, 1-based.
const CASES: [string, number, string][] = [
  [
    '',
    1,
    "empty expression at column 1; expected a variable such as $last, a range (hour, day, month, year) or '('",
  ],
  ['   ', 1, 'empty expression at column 1'],
  ['$last +', 8, "expected a duration after '+' at column 8; e.g. 1h, 30m or 6h 30m"],
  ['$last - day', 9, "expected a duration after '-' at column 9; found 'day'"],
  ['$last @', 8, "expected a duration after '@' at column 8"],
  ['$last + -1h', 9, "expected a duration after '+' at column 9; found '-'"],
  ['day )', 5, "unexpected ')' at column 5; no '(' is open here"],
  ['$a + 1h)', 8, "unexpected ')' at column 8"],
  ['week', 1, "unknown range 'week' at column 1; expected hour, day, month or year"],
  ['week($a)', 1, "unknown range 'week' at column 1; expected hour, day, month or year"],
  ['days', 1, "unknown range 'days' at column 1; expected hour, day, month or year (singular)"],
  [
    'last + 1h',
    1,
    "unknown range 'last' at column 1; expected hour, day, month or year; variables start with '$' (did you mean $last?)",
  ],
  ['$a + 1 hours', 7, 'unknown unit "hours" at column 7; write 1h'],
  ['$a + 2 weeks', 7, 'unknown unit "weeks" at column 7; there is no week unit; write 14d'],
  ['$a + 5ms', 7, 'unknown unit "ms" at column 7; there is no millisecond unit; write us (1ms = 1000us)'],
  ['$a + 1h 2 xyz', 10, 'unknown unit "xyz" at column 10'],
  ['$a + 1', 6, 'a number without a unit needs a range at column 6; on a timestamp write a unit, e.g. 1h'],
  ['$a + 1h 30', 9, 'a number without a unit needs a range at column 9'],
  ['$a @ 6', 6, 'a number without a unit needs a range at column 6; on a timestamp write e.g. @ 6h'],
  ['($a to $b) @ 3', 14, "a number without a unit needs a range of known unit after '@' at column 14"],
  ['day($a) + 1.5', 11, 'a number without a unit must be whole, got 1.5 at column 11'],
  ['$a to day', 7, "expected a timestamp after 'to', found the range 'day' at column 7"],
  ['day($a) to $b', 1, "expected a timestamp before 'to', found the range 'day($a)' at column 1"],
  ['day(day)', 5, "expected a timestamp inside day(...), found the range 'day' at column 5"],
  ['month($a to $b)', 7, "expected a timestamp inside month(...), found the range '$a to $b' at column 7"],
  ['day()', 5, 'expected a timestamp inside day(...) at column 5; e.g. day($timestamp), or plain day'],
  [
    'day($a',
    7,
    "expected ')' at column 7; the 'day(' at column 1 is not closed; found the end of the expression",
  ],
  [
    '(( $a',
    6,
    "expected ')' at column 6; the '(' at column 2 is not closed; found the end of the expression",
  ],
  ['($a + 1h $b)', 10, "expected ')' at column 10; the '(' at column 1 is not closed; found '$b'"],
  ['$', 2, "expected a variable name after '$' at column 2"],
  ['$1 + 1h', 2, "expected a variable name after '$' at column 2"],
  ['$a * 2', 4, "unexpected '*' at column 4"],
  ['$a + 1.h', 8, "expected a digit after '.' at column 8"],
  ['$a to $b to $c', 10, "unexpected 'to' at column 10; a range has one 'to'; group with parentheses"],
  ['to $b', 1, "expected a timestamp before 'to' at column 1"],
  ['$a to', 6, "expected a timestamp or range after 'to' at column 6"],
  ['$a $b', 4, "unexpected '$b' at column 4; expected '+', '-', '@', 'to' or the end of the expression"],
  ['$a 1h', 4, "unexpected '1' at column 4"],
  ['1h + $a', 1, "unexpected number '1' at column 1"],
  [
    '$a + 1.5mo',
    6,
    'months and years must be whole numbers, got 1.5mo at column 6; use days for fractions of a month',
  ],
  ['$a - 0.5y', 6, 'months and years must be whole numbers, got 0.5y at column 6'],
  ['$a @ 13mo', 6, "'@' needs a month from 1 to 12, got 13mo at column 6"],
  ['$a @ 0d', 6, "'@' needs a day from 1 to 31, got 0d at column 6"],
  ['$a @ 24h', 6, "'@' needs a hour from 0 to 23, got 24h at column 6"],
  ['$a @ 60m', 6, "'@' needs a minute from 0 to 59, got 60m at column 6"],
  ['$a @ 1.5h', 6, "'@' needs a hour from 0 to 23, got 1.5h at column 6"],
  ['$a @ 1h 2h', 9, "'@' sets the hour twice at column 9"],
  ['day($a) @ 25', 11, "'@' needs a hour from 0 to 23, got 25 at column 11"],
  ['Day', 1, "unknown range 'Day' at column 1"],
  // Names on every object's prototype are not units.
  ['$a + 1 constructor', 7, 'unknown unit "constructor" at column 7'],
  ['$a + 1toString', 7, 'unknown unit "toString" at column 7'],
];

test('every error says what was expected, at the exact column', () => {
  for (const [source, column, detail] of CASES) {
    const e = error(source);
    assert.equal(e.column, column, `${JSON.stringify(source)}: ${e.message}`);
    assert.ok(
      e.message.startsWith(`timex ${JSON.stringify(source)}: ${detail}`),
      `${JSON.stringify(source)}:\n  got      ${e.message}\n  expected ${detail}`,
    );
  }
});

test('columns count from the start of the source, past leading blanks and newlines', () => {
  assert.equal(error('  $a +').column, 7);
  assert.equal(error('$a\n+ 1 hx').column, 7);
  assert.match(error('$a\n+ 1 hx').caret(), /^\$a \+ 1 hx\n {6}\^~~$/);
});

test('errors are thrown at parse time, so evaluation never throws', () => {
  for (const source of ['$x + 1', 'day(day)', '$a to day', '$a @ 32d']) {
    assert.throws(() => parseTimex(source), TimexSyntaxError);
  }
});
