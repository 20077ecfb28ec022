import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDuration, parseFixedDuration } from '../../src/model/duration.js';

test('fixed durations in every unit and combination', () => {
  assert.equal(parseFixedDuration('30s'), 30_000_000);
  assert.equal(parseFixedDuration('1d'), 86_400_000_000);
  assert.equal(parseFixedDuration('6h 30m 15s'), (6 * 3600 + 30 * 60 + 15) * 1e6);
  assert.equal(parseFixedDuration('2min 1sec'), 121e6);
  assert.equal(parseFixedDuration('1hr'), 3600e6);
  assert.equal(parseFixedDuration('250ms'), 250_000);
  assert.equal(parseFixedDuration('7us'), 7);
  assert.equal(parseFixedDuration('1.5s'), 1_500_000);
});

test('bad durations name the column and what is expected', () => {
  assert.throws(() => parseFixedDuration('10x'), /unknown unit "x" at column 3/);
  assert.throws(() => parseFixedDuration('ten'), /column 1: expected a number followed by a unit/);
  assert.throws(() => parseFixedDuration('1mo'), /calendar unit/);
  assert.throws(() => parseFixedDuration(''), /empty duration/);
  assert.throws(() => parseFixedDuration('5'), /expected a number followed by a unit/);
});

test('durations format for people', () => {
  assert.equal(formatDuration(90061e6), '1d 1h 1m 1s');
  assert.equal(formatDuration(1_500_000), '1.5s');
  assert.equal(formatDuration(0), '0s');
});
