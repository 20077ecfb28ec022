import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import {
  counter,
  double,
  histogram,
  HistogramSnapshot,
  parseStatsFile,
  staticField,
  stats,
  StatsFormatError,
  string,
} from '../../src/stats/index.js';
import { bucketEdges, bucketOf, fieldBytes, tempDir } from './helpers.js';

/** A v2 field built by hand from the README: size, label, type, metric, write buffer, payload. */
function fieldV2(label: string, type: string, metric: number, wb: number, payload: Buffer): Buffer {
  const l = Buffer.from(label, 'utf8');
  const t = Buffer.from(type, 'ascii');
  const head = Buffer.alloc(4 + 2 + l.length + 2 + t.length + 2);
  head.writeUInt32LE(head.length + payload.length, 0);
  head.writeUInt16LE(l.length, 4);
  l.copy(head, 6);
  head.writeUInt16LE(t.length, 6 + l.length);
  t.copy(head, 8 + l.length);
  head[8 + l.length + t.length] = metric;
  head[9 + l.length + t.length] = wb;
  return Buffer.concat([head, payload]);
}

test('a file holding only simple kinds is version 1; a histogram makes it version 2', (t) => {
  const dir = tempDir(t);
  const v1 = stats({ path: dir, filename: 'v1.mmstats', fields: { c: counter('c') } });
  const v2 = stats({ path: dir, filename: 'v2.mmstats', fields: { c: counter('c'), h: histogram('h') } });
  const forced = stats({ path: dir, filename: 'f.mmstats', version: 2, fields: { c: counter('c') } });
  assert.equal(readFileSync(v1.path)[0], 1);
  assert.equal(readFileSync(v2.path)[0], 2);
  assert.equal(readFileSync(forced.path)[0], 2);
  assert.throws(
    () => stats({ path: dir, filename: 'x.mmstats', version: 1, fields: { h: histogram('h') } }),
    /field h \(histogram\) needs format version 2/,
  );
  for (const s of [v1, v2, forced]) s.close();
});

test('the writer lays out version 2 bytes exactly as the README documents', (t) => {
  const dir = tempDir(t);
  const s = stats({
    path: dir,
    filename: 'x.mmstats',
    prefix: 'p.',
    noSysFields: true,
    fields: {
      c: counter('c'),
      name: string('name', 3),
      h: histogram('h', { lowest: 0.5, highest: 3, precision: 1 }),
      d: double('d'),
    },
  });
  s.c.incr(5);
  s.name.set('ab');
  s.h.observe(1);
  s.h.observe(2.5);
  s.d.set(-1.5);

  const counterValues = Buffer.alloc(16);
  counterValues.writeBigUInt64LE(5n, 0); // written into buffer 0, then wb flipped to 1
  const doubleValues = Buffer.alloc(16);
  doubleValues.writeDoubleLE(-1.5, 0);
  const before = Buffer.concat([
    Buffer.from([2]),
    fieldV2('p.c', 'Q', 1, 1, counterValues),
    fieldV2('p.name', '3s', 0, 0xff, Buffer.from('ab\0')),
  ]);
  // Histogram: eMin = floor(log2 0.5) = -1, eMax = floor(log2 3) = 1, k = 4 (16 sub-buckets).
  const headerLength = 4 + 2 + 3 + 2 + 4 + 2; // size, label p.h, type hist, metric, wb
  const payloadAt = before.length + headerLength;
  const layoutBytes = Buffer.alloc(5);
  layoutBytes.writeInt16LE(-1, 0);
  layoutBytes.writeInt16LE(1, 2);
  layoutBytes[4] = 4;
  const summaryAt = Math.ceil((payloadAt + 5) / 8) * 8;
  const summaries = Buffer.alloc(64);
  summaries.writeBigUInt64LE(1n, 0); // buffer 0: after the first observation
  summaries.writeDoubleLE(1, 8);
  summaries.writeDoubleLE(1, 16);
  summaries.writeDoubleLE(1, 24);
  summaries.writeBigUInt64LE(2n, 32); // buffer 1: after the second
  summaries.writeDoubleLE(3.5, 40);
  summaries.writeDoubleLE(1, 48);
  summaries.writeDoubleLE(2.5, 56);
  const edges = bucketEdges(-1, 1, 4);
  assert.equal(edges.length, 50);
  const counts = Buffer.alloc(8 * 50);
  for (const v of [1, 2.5])
    counts.writeBigUInt64LE(counts.readBigUInt64LE(8 * bucketOf(edges, v)) + 1n, 8 * bucketOf(edges, v));
  const payload = Buffer.concat([layoutBytes, Buffer.alloc(summaryAt - payloadAt - 5), summaries, counts]);
  const expected = Buffer.alloc(4096);
  Buffer.concat([
    before,
    fieldV2('p.h', 'hist', 3, 0, payload), // two observations: wb back to 0, readers read buffer 1
    fieldV2('p.d', 'd', 2, 1, doubleValues),
    Buffer.from([0, 0, 0, 0]),
  ]).copy(expected);
  assert.deepEqual(readFileSync(s.path), expected);

  const parsed = parseStatsFile(readFileSync(s.path), 'x');
  assert.equal(parsed.version, 2);
  assert.deepEqual(
    parsed.fields.map((f) => [
      f.label,
      f.type,
      f.metric,
      f.value instanceof HistogramSnapshot ? f.value.count : f.value,
    ]),
    [
      ['p.c', 'Q', 'counter', 5],
      ['p.name', '3s', 'info', 'ab'],
      ['p.h', 'hist', 'histogram', 2],
      ['p.d', 'd', 'gauge', -1.5],
    ],
  );
  s.close();
});

test('a v2 reader skips field kinds it does not know, by their size, and says so', () => {
  const eight = Buffer.alloc(8);
  eight.writeDoubleLE(4.25);
  const file = Buffer.concat([
    Buffer.from([2]),
    fieldV2('future', 'Z9', 2, 0xff, Buffer.alloc(13, 0xee)),
    fieldV2('odd.metric', 'd', 77, 0xff, eight),
    fieldV2('ok', 'd', 2, 0xff, eight),
    Buffer.alloc(4),
  ]);
  const parsed = parseStatsFile(file, 'f');
  assert.deepEqual(parsed.fields, [
    { label: 'ok', type: 'd', buffered: false, metric: 'gauge', value: 4.25 },
  ]);
  assert.deepEqual(parsed.skipped, [
    { label: 'future', type: 'Z9', reason: 'unknown type "Z9"' },
    { label: 'odd.metric', type: 'd', reason: 'unknown metric type 77' },
  ]);
});

test('version 2 files with bad bytes are StatsFormatErrors naming the problem', () => {
  const eight = Buffer.alloc(8);
  const ok = fieldV2('abc', 'd', 2, 0xff, eight);
  const hist = (eMin: number, eMax: number, k: number, extra: number): Buffer => {
    const p = Buffer.alloc(5 + extra);
    p.writeInt16LE(eMin, 0);
    p.writeInt16LE(eMax, 2);
    p[4] = k;
    return Buffer.concat([Buffer.from([2]), fieldV2('h', 'hist', 3, 0, p)]);
  };
  const badUtf8 = Buffer.from(ok);
  badUtf8[6] = 0xff; // the first label byte
  const cases: [string, Buffer, RegExp][] = [
    ['half a field size', Buffer.from([2, 1, 0]), /truncated: a field size at byte 1/],
    ['field size too small', Buffer.concat([Buffer.from([2, 3, 0, 0, 0]), Buffer.alloc(8)]), /bad size 3/],
    [
      'field past the end',
      Buffer.concat([Buffer.from([2]), ok.subarray(0, ok.length - 1)]),
      /truncated: a field of 22 bytes/,
    ],
    [
      'label overruns its field',
      Buffer.concat([Buffer.from([2, 12, 0, 0, 0, 200, 0]), Buffer.alloc(20)]),
      /label \(size 200\) at byte 7 needs 200 bytes but its field ends at byte 13/,
    ],
    ['garbage label bytes', Buffer.concat([Buffer.from([2]), badUtf8]), /label at byte 7 is not valid UTF-8/],
    [
      'value overruns its field',
      Buffer.concat([Buffer.from([2]), fieldV2('abc', 'd', 2, 0xff, Buffer.alloc(4)), Buffer.alloc(8)]),
      /the value of abc .* its field ends/,
    ],
    ['bad histogram exponents', hist(5, 2, 4, 600), /histogram h at byte \d+: .*eMin <= eMax/],
    ['bad sub-bucket bits', hist(0, 1, 30, 600), /sub-bucket bits must be an integer from 0 to 20/],
    ['histogram buckets cut short', hist(0, 1, 4, 100), /the buckets of h \(34\)/],
    [
      'histogram bad write buffer',
      Buffer.concat([Buffer.from([2]), fieldV2('h', 'hist', 3, 0xff, Buffer.alloc(600))]),
      /bad write-buffer byte 255/,
    ],
  ];
  for (const [what, bytes, re] of cases) {
    assert.throws(
      () => parseStatsFile(bytes, '/x/f.mmstats'),
      (err: unknown) =>
        err instanceof StatsFormatError && err.message.startsWith('/x/f.mmstats: ') && re.test(err.message),
      what,
    );
  }
});

test('the v2 reader still reads v1 files, and static fields are info', (t) => {
  const dir = tempDir(t);
  const s = stats({
    path: dir,
    filename: 'v1.mmstats',
    noSysFields: true,
    fields: { v: staticField('v', 7, 'h'), d: double('d') },
  });
  const parsed = parseStatsFile(readFileSync(s.path));
  assert.equal(parsed.version, 1);
  assert.deepEqual(
    parsed.fields.map((f) => [f.label, f.metric, f.value]),
    [
      ['v', 'info', 7],
      ['d', 'gauge', 0],
    ],
  );
  const fromBytes = parseStatsFile(
    Buffer.concat([Buffer.from([1]), fieldBytes('n', 'Q', 0, Buffer.alloc(16))]),
  );
  assert.equal(fromBytes.fields[0]?.metric, 'counter', 'a buffered Q in v1 reads as a counter');
  s.close();
});
