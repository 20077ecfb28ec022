/**
 * The timex language: compile once, evaluate per event.
 * Run: node dist/examples/timex.js
 */
import { Instant } from '../src/model/instant.js';
import { parseTimex, TimeRange, TimexSyntaxError } from '../src/timex/index.js';

const start = Instant.parse('2014-08-01T01:00:00Z');
const last = Instant.parse('2014-08-01T05:30:00Z');

console.log('variables: $start = %s, $last = %s\n', start.toISOString(), last.toISOString());
for (const source of [
  '$last + 1h', // a stream's expiration
  'day($start)', // a distinguished_by bucket
  'day($start) + 6h', // pinned: slides back to contain $start
  'day($start) + 1d', // a whole unit or more: simply moved
  '$start @ 0h 0m 0s', // midnight
  '$start @ 2mo 31d', // Feb 31 clamps to Feb 28
  '$start - 6mo to $start', // an explicit range
  'month($start) + 15', // unit-less: days on a month range
]) {
  const expr = parseTimex(source);
  const result = expr.evaluate({ start, last });
  console.log(`${source.padEnd(26)} ${expr.resultKind.padEnd(9)} ${String(result)}`);
}

// Ranges are [begin, end): a bucket holds its begin, not its end.
const bucket = parseTimex('day').evaluate({}, Instant.parse('2014-08-01T12:00:00Z'));
if (bucket instanceof TimeRange) {
  console.log(
    `\n${bucket.toString()} contains its begin: ${bucket.contains(bucket.begin)}, its end: ${bucket.contains(bucket.end)}`,
  );
}

// A missing variable is "no match", not an error.
console.log(`$first + 1h without $first: ${String(parseTimex('$first + 1h').evaluate({ last }))}`);

// Mistakes are caught when the expression is compiled, with the column.
try {
  parseTimex('$last + 1 hx', { label: 'expiration' });
} catch (err) {
  if (!(err instanceof TimexSyntaxError)) throw err;
  console.log(`\n${err.message}\n${err.caret('  ')}`);
}
