/**
 * Files waymark writes, read by an independent reader written from
 * src/stats/README.md in Python (struct + math only), run with python3.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import {
  average,
  bool,
  counter,
  double,
  float,
  histogram,
  int,
  int64,
  movingAverage,
  staticField,
  stats,
  string,
  timer,
  uint,
  uint64,
} from '../../src/stats/index.js';
import { nearestRank, rng, tempDir } from './helpers.js';

const READER = String.raw`
import json, math, struct, sys

def read(path, observed):
    data = open(path, 'rb').read()
    version = data[0]
    assert version in (1, 2), 'version %d' % version
    at = 1
    out = []
    while at < len(data):
        if version == 2:
            (fsize,) = struct.unpack_from('<I', data, at)
            if fsize == 0:
                break
            end = at + fsize
            p = at + 4
        else:
            p = at
        (lsize,) = struct.unpack_from('<H', data, p); p += 2
        if lsize == 0:
            break
        label = data[p:p + lsize].decode('utf-8'); p += lsize
        (tsize,) = struct.unpack_from('<H', data, p); p += 2
        typ = data[p:p + tsize].decode('ascii'); p += tsize
        metric = None
        if version == 2:
            metric = ['info', 'counter', 'gauge', 'histogram'][data[p]]; p += 1
        wb = data[p]; p += 1
        if typ == 'hist':
            emin, emax, k = struct.unpack_from('<hhB', data, p)
            p += 5
            p = (p + 7) // 8 * 8
            s = p + (wb ^ 1) * 32
            count, total, lo, hi = struct.unpack_from('<Qddd', data, s)
            p += 64
            n = 2 + (emax - emin + 1) * 2 ** k
            counts = list(struct.unpack_from('<%dQ' % n, data, p))
            p += 8 * n
            # The buckets of the observed values, from the README's definition.
            S = 2 ** k
            expected = [0] * n
            for v in observed.get(label, []):
                if v <= 2.0 ** emin:
                    i = 0
                elif v > 2.0 ** (emax + 1):
                    i = n - 1
                else:
                    m, ex = math.frexp(v)  # v = m * 2**ex, 0.5 <= m < 1
                    e = ex - 1
                    pos = (v / 2.0 ** e - 1) * S
                    j = math.floor(pos)
                    if j == pos:
                        j -= 1
                    i = 1 + (e - emin) * S + j
                expected[i] += 1
            # Nearest-rank p50 / p99 estimates: midpoint of the bucket, clamped to [min, max].
            def pct(q):
                total_n = sum(counts)
                rank = max(1, math.ceil(q * total_n))
                seen = 0
                for i, c in enumerate(counts):
                    seen += c
                    if seen >= rank:
                        break
                if i == 0:
                    l, u = -math.inf, 2.0 ** emin
                elif i == n - 1:
                    l, u = 2.0 ** (emax + 1), math.inf
                else:
                    e = emin + (i - 1) // S
                    j = (i - 1) % S
                    l, u = 2.0 ** e * (1 + j / S), 2.0 ** e * (1 + (j + 1) / S)
                l, u = max(l, lo), min(u, hi)
                return (l + u) / 2
            value = {'emin': emin, 'emax': emax, 'k': k, 'count': count, 'sum': total, 'min': lo, 'max': hi,
                     'buckets_match': counts == expected, 'bucket_total': sum(counts),
                     'p50': pct(0.5), 'p99': pct(0.99)}
        else:
            if typ.endswith('s'):
                size = int(typ[:-1] or 1)
            else:
                size = struct.calcsize('<' + typ)
            if wb == 0xff:
                raw = data[p:p + size]; p += size
            else:
                assert wb in (0, 1), 'write buffer %d' % wb
                raw = data[p + (wb ^ 1) * size:p + (wb ^ 1) * size + size]; p += 2 * size
            if typ.endswith('s'):
                value = raw.split(b'\0', 1)[0].decode('utf-8')
            else:
                (value,) = struct.unpack('<' + typ, raw)
        out.append({'label': label, 'type': typ, 'metric': metric, 'buffered': wb != 0xff, 'value': value})
        at = end if version == 2 else p
    return {'version': version, 'fields': out}

observed = json.load(open(sys.argv[2])) if len(sys.argv) > 2 else {}
print(json.dumps(read(sys.argv[1], observed)))
`;

interface PyField {
  label: string;
  type: string;
  metric: string | null;
  buffered: boolean;
  value: unknown;
}

function python(
  t: TestContext,
  file: string,
  observed?: string,
): { version: number; fields: PyField[] } | undefined {
  const probe = spawnSync('python3', ['--version']);
  if (probe.error !== undefined || probe.status !== 0) {
    if (process.env['CI'] === 'true') throw new Error('python3 is needed for the interop tests');
    process.stderr.write(`SKIPPED: ${t.name}: python3 is not installed\n`);
    t.skip('python3 is not installed');
    return undefined;
  }
  const args = ['-c', READER, file, ...(observed === undefined ? [] : [observed])];
  const r = spawnSync('python3', args, { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as { version: number; fields: PyField[] };
}

test('python reads a v1 file holding every simple kind', (t) => {
  const dir = tempDir(t);
  const s = stats({
    path: dir,
    filename: 'v1.mmstats',
    prefix: 'all.',
    fields: {
      hits: counter('hits'),
      i: int('i'),
      u: uint('u'),
      f: float('f'),
      d: double('d'),
      q: int64('q'),
      uq: uint64('uq'),
      up: bool('up'),
      name: string('name', 16),
      version: staticField('version', '1.2.3', '8s'),
      seven: staticField('seven', -7, 'h'),
      byte: staticField('byte', 200, 'B'),
      avg: average('avg'),
      mov: movingAverage('mov', 2),
      tm: timer('tm', 4),
    },
  });
  s.hits.incr(3);
  s.hits.incr(4);
  s.i.set(-5);
  s.u.set(4000000000);
  s.f.set(0.75);
  s.d.set(-2.5e-3);
  s.q.set(-(2 ** 40));
  s.uq.set(2 ** 50);
  s.up.set(true);
  s.name.set('nova-compute');
  for (const x of [2, 4, 9]) s.avg.add(x);
  for (const x of [1, 10, 20]) s.mov.add(x);
  s.tm.add(0.25);
  s.tm.add(0.75);
  const py = python(t, s.path);
  if (py === undefined) return s.close();
  assert.equal(py.version, 1);
  const got = Object.fromEntries(py.fields.map((f) => [f.label, [f.type, f.buffered, f.value]]));
  assert.deepEqual(got['all.hits'], ['Q', true, 7]);
  assert.deepEqual(got['all.i'], ['i', true, -5]);
  assert.deepEqual(got['all.u'], ['I', true, 4000000000]);
  assert.deepEqual(got['all.f'], ['f', true, 0.75]);
  assert.deepEqual(got['all.d'], ['d', true, -2.5e-3]);
  assert.deepEqual(got['all.q'], ['q', true, -(2 ** 40)]);
  assert.deepEqual(got['all.uq'], ['Q', true, 2 ** 50]);
  assert.deepEqual(got['all.up'], ['?', false, true]);
  assert.deepEqual(got['all.name'], ['16s', false, 'nova-compute']);
  assert.deepEqual(got['all.version'], ['8s', false, '1.2.3']);
  assert.deepEqual(got['all.seven'], ['h', false, -7]);
  assert.deepEqual(got['all.byte'], ['B', false, 200]);
  assert.deepEqual(got['all.avg'], ['d', true, 5]);
  assert.deepEqual(got['all.mov'], ['d', true, 15]);
  assert.deepEqual(got['all.tm'], ['d', true, 0.5]);
  assert.deepEqual(got['all.sys.pid'], ['I', false, process.pid]);
  assert.equal(py.fields.length, 15 + 6);
  s.close();
});

test('python reads the v2 layout: metric types, and histogram buckets as the README defines them', (t) => {
  const dir = tempDir(t);
  const s = stats({
    path: dir,
    filename: 'v2.mmstats',
    prefix: 'pipe.',
    fields: {
      builds: counter('builds'),
      load: double('load'),
      build: histogram('build_seconds'),
      coarse: histogram('coarse', { lowest: 0.25, highest: 10, precision: 1 }),
      name: string('name', 5),
    },
  });
  s.builds.incr(12);
  s.load.set(0.5);
  s.name.set('abcdefg');
  const r = rng(3);
  const build: number[] = [0, 1e-9, 2 ** -20, 1, 2, 3, 86400, 2 ** 17, 1e7];
  for (let i = 0; i < 3000; i++) build.push(Math.exp(r() * 12 - 4));
  const coarse: number[] = [0.25, 0.5, 16, 16.5, 10, 7.75, 0.1];
  for (let i = 0; i < 500; i++) coarse.push(r() * 20);
  for (const v of build) s.build.observe(v);
  for (const v of coarse) s.coarse.observe(v);
  const observed = join(dir, 'observed.json');
  writeFileSync(observed, JSON.stringify({ 'pipe.build_seconds': build, 'pipe.coarse': coarse }));
  const py = python(t, s.path, observed);
  if (py === undefined) return s.close();
  assert.equal(py.version, 2);
  const got = Object.fromEntries(py.fields.map((f) => [f.label, f]));
  assert.deepEqual([got['pipe.builds']?.metric, got['pipe.builds']?.value], ['counter', 12]);
  assert.deepEqual([got['pipe.load']?.metric, got['pipe.load']?.value], ['gauge', 0.5]);
  assert.deepEqual([got['pipe.name']?.metric, got['pipe.name']?.value], ['info', 'abcde']);
  assert.equal(got['pipe.sys.pid']?.metric, 'info');
  for (const [label, values, layout] of [
    ['pipe.build_seconds', build, [-20, 16, 7]],
    ['pipe.coarse', coarse, [-2, 3, 4]],
  ] as const) {
    const h = got[label]?.value as Record<string, number | boolean>;
    assert.equal(got[label]?.metric, 'histogram');
    assert.deepEqual([h['emin'], h['emax'], h['k']], layout, label);
    assert.equal(h['buckets_match'], true, `${label}: python's bucketing of the observed values`);
    assert.equal(h['count'], values.length);
    assert.equal(h['bucket_total'], values.length);
    assert.equal(
      h['sum'],
      values.reduce((a, b) => a + b, 0),
    );
    assert.equal(h['min'], Math.min(...values));
    assert.equal(h['max'], Math.max(...values));
    // Python's percentile, from the README, agrees with waymark's reader.
    const ours = s[label === 'pipe.coarse' ? 'coarse' : 'build'].snapshot();
    assert.equal(h['p50'], ours.percentile(0.5));
    assert.equal(h['p99'], ours.percentile(0.99));
    assert.ok(
      Math.abs(Number(h['p50']) - nearestRank(values, 0.5)) <=
        nearestRank(values, 0.5) / 2 ** (layout[2] + 1),
    );
  }
  s.close();
});
