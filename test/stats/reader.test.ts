import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { sharedReference } from '../helpers/paths.js';
import { parseStats, readStatsFile, StatsFormatError } from '../../src/stats/reader.js';
import { fieldBytes } from './helpers.js';

test('the file Python mmstats 0.8.0 wrote reads exactly as its README lists', (t) => {
  const path = sharedReference(t, 'mmstats-files', 'python-mmstats-0.8.0.mmstats');
  if (path === undefined) return;
  const fields = readStatsFile(path);
  const simple = fields.map((f) => [f.label, f.type, f.buffered, f.value]);
  const python = simple.find((f) => f[0] === 'fixture.org.python.version');
  assert.ok(
    typeof python?.[3] === 'string' && python[3].startsWith('3.11.7 (main, '),
    JSON.stringify(python?.[3]),
  );
  assert.deepEqual(
    simple.filter((f) => f[0] !== 'fixture.org.python.version'),
    [
      ['fixture.requests', 'Q', true, 42],
      ['fixture.temp.double', 'd', true, 36.6],
      ['fixture.ratio.float', 'f', true, 0.5],
      ['fixture.queue.depth', 'i', true, -7],
      ['fixture.workers.uint', 'I', true, 12],
      ['fixture.bytes.uint64', 'Q', true, 1099511627779],
      ['fixture.retries.short', 'h', true, -2],
      ['fixture.up', '?', false, true],
      ['fixture.service.name', '32s', false, 'nova-compute'],
      ['fixture.service.version', '256s', false, '0.8.0'],
      ['fixture.latency.avg', 'd', true, 3.0],
      ['fixture.latency.moving', 'd', true, 35.0],
      ['fixture.sys.pid', 'I', false, 15353],
      ['fixture.sys.tid', 'q', false, 139962564004736],
      ['fixture.sys.uid', 'Q', false, 0],
      ['fixture.sys.gid', 'Q', false, 0],
      ['fixture.sys.created', 'd', false, 1795314516.9851255],
    ],
  );
  assert.equal(readFileSync(path).length, 4096);
  const metrics = Object.fromEntries(fields.map((f) => [f.label, f.metric]));
  assert.equal(metrics['fixture.requests'], 'counter');
  assert.equal(metrics['fixture.bytes.uint64'], 'counter', 'v1 cannot tell a uint64 gauge from a counter');
  assert.equal(metrics['fixture.temp.double'], 'gauge');
  assert.equal(metrics['fixture.latency.avg'], 'gauge');
  assert.equal(metrics['fixture.up'], 'info');
  assert.equal(metrics['fixture.sys.pid'], 'info');
});

function file(...fields: Buffer[]): Buffer {
  const page = Buffer.alloc(4096);
  Buffer.concat([Buffer.from([1]), ...fields]).copy(page);
  return page;
}

test('a buffered value is read from buffer [wb ^ 1]', () => {
  const two = Buffer.alloc(8);
  two.writeInt32LE(111, 0);
  two.writeInt32LE(222, 4);
  assert.equal(parseStats(file(fieldBytes('x', 'i', 0, two)))[0]?.value, 222);
  assert.equal(parseStats(file(fieldBytes('x', 'i', 1, two)))[0]?.value, 111);
});

test('64-bit integers past 2^53 come back as bigint; strings stop at the first NUL', () => {
  const big = Buffer.alloc(8);
  big.writeBigUInt64LE(2n ** 64n - 1n);
  const neg = Buffer.alloc(8);
  neg.writeBigInt64LE(-(2n ** 60n));
  const str = Buffer.alloc(8);
  str.write('héllo');
  const got = parseStats(
    file(fieldBytes('a', 'Q', 0xff, big), fieldBytes('b', 'q', 0xff, neg), fieldBytes('c', '8s', 0xff, str)),
  );
  assert.deepEqual(
    got.map((f) => f.value),
    [2n ** 64n - 1n, -(2n ** 60n), 'héllo'],
  );
});

test('malformed files are StatsFormatErrors naming the file and the problem', () => {
  const ok = fieldBytes('abc', 'I', 0xff, Buffer.alloc(4));
  const cases: [string, Buffer, RegExp][] = [
    ['empty', Buffer.alloc(0), /f\.mmstats: empty file/],
    ['version 3', Buffer.from([3, 0, 0]), /f\.mmstats: unsupported mmstats version byte 0x03/],
    [
      'version 0xff',
      Buffer.from([0xff, 0, 0, 0, 0]),
      /version byte 0xff \(this reader reads versions 0x01 and 0x02\)/,
    ],
    ['version 0 (all zeros)', Buffer.alloc(4096), /version byte 0x00/],
    [
      'label size past the end',
      Buffer.from([1, 0xff, 0x00, 0x61]),
      /truncated: label \(size 255\) at byte 3/,
    ],
    ['truncated label', Buffer.concat([Buffer.from([1]), ok.subarray(0, 4)]), /truncated: label \(size 3\)/],
    ['half a label size', Buffer.from([1, 3]), /truncated: a label size at byte 1/],
    [
      'truncated value',
      Buffer.concat([Buffer.from([1]), ok.subarray(0, ok.length - 1)]),
      /truncated: the value of abc/,
    ],
    [
      'unknown type',
      file(fieldBytes('abc', 'Z', 0xff, Buffer.alloc(4))),
      /field abc has an unknown type "Z"/,
    ],
    ['bad write buffer', file(fieldBytes('abc', 'I', 7, Buffer.alloc(8))), /bad write-buffer byte 7/],
    [
      'buffered values past the end',
      Buffer.concat([Buffer.from([1]), fieldBytes('abc', 'Q', 0, Buffer.alloc(12))]),
      /truncated: the values of abc/,
    ],
  ];
  for (const [what, bytes, re] of cases) {
    assert.throws(
      () => parseStats(bytes, '/x/f.mmstats'),
      (err: unknown) => err instanceof StatsFormatError && re.test(err.message),
      what,
    );
  }
});

test('a file filled exactly to its end without the end marker still reads', () => {
  const bytes = Buffer.concat([Buffer.from([1]), fieldBytes('abc', 'I', 0xff, Buffer.from([5, 0, 0, 0]))]);
  assert.deepEqual(parseStats(bytes), [
    { label: 'abc', type: 'I', buffered: false, metric: 'info', value: 5 },
  ]);
});
