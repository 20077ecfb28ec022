import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import {
  counter,
  double,
  histogram,
  PROMETHEUS_CONTENT_TYPE,
  stats,
  statsRequestHandler,
} from '../../src/stats/index.js';
import { tempDir } from './helpers.js';

/** A real server on a free port with the handler mounted; records what the handler declined. */
async function serve(t: TestContext, dir: string): Promise<{ base: string; declined: string[] }> {
  const handle = statsRequestHandler({ dir });
  const declined: string[] = [];
  const server: Server = createServer((req, res) => {
    if (handle(req, res)) return;
    declined.push(req.url ?? '');
    res.writeHead(404).end('mine');
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  t.after(() => {
    server.closeAllConnections();
    return new Promise<void>((ok) => server.close(() => ok()));
  });
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, declined };
}

function fixture(t: TestContext): string {
  const dir = tempDir(t);
  const a = stats({
    path: dir,
    filename: 'web-1-0.mmstats',
    prefix: 'web.',
    fields: { hits: counter('hits'), load: double('load'), lat: histogram('lat') },
  });
  const b = stats({
    path: dir,
    filename: 'web-2-0.mmstats',
    prefix: 'web.',
    fields: { hits: counter('hits'), load: double('load'), lat: histogram('lat') },
  });
  const c = stats({
    path: dir,
    filename: 'api-1-0.mmstats',
    prefix: 'api.',
    fields: { hits: counter('hits') },
  });
  t.after(() => [a, b, c].forEach((s) => s.close()));
  a.hits.incr(5);
  b.hits.incr(7);
  c.hits.incr(100);
  a.load.set(0);
  b.load.set(3);
  for (const v of [1, 2, 3]) a.lat.observe(v);
  b.lat.observe(4);
  writeFileSync(join(dir, 'broken.mmstats'), Buffer.from([1, 50, 0]));
  return dir;
}

test('GET /v1/stats aggregates the files as JSON, by agg, prefix and glob', async (t) => {
  const { base } = await serve(t, fixture(t));
  const res = await fetch(`${base}/v1/stats?prefix=web.`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  const body = (await res.json()) as {
    agg: string;
    files: string[];
    unreadable: { file: string; reason: string }[];
    fields: Record<string, unknown>;
  };
  assert.equal(body.agg, 'sum');
  assert.deepEqual(body.files, ['api-1-0.mmstats', 'web-1-0.mmstats', 'web-2-0.mmstats']);
  assert.deepEqual(body.unreadable, [
    {
      file: 'broken.mmstats',
      reason: 'truncated: label (size 50) at byte 3 needs 50 bytes but the file ends at byte 3',
    },
  ]);
  assert.equal(body.fields['web.hits'], 12);
  assert.equal(body.fields['web.load'], 3);
  assert.equal(body.fields['api.hits'], undefined, 'the prefix filters labels');
  const lat = body.fields['web.lat'] as Record<string, number>;
  assert.deepEqual(
    { count: lat['count'], sum: lat['sum'], min: lat['min'], max: lat['max'] },
    { count: 4, sum: 10, min: 1, max: 4 },
  );
  // nearest rank of [1, 2, 3, 4]: p50 = 2, p99 = 4, within 0.39%
  assert.ok(
    Math.abs(lat['p50']! - 2) <= 2 / 256 && Math.abs(lat['p99']! - 4) <= 4 / 256,
    JSON.stringify(lat),
  );

  const avg = (await (await fetch(`${base}/v1/stats?agg=avg&glob=web-*.mmstats`)).json()) as typeof body;
  assert.deepEqual(avg.files, ['web-1-0.mmstats', 'web-2-0.mmstats']);
  assert.deepEqual(avg.unreadable, [], 'the glob leaves broken.mmstats out');
  assert.equal(avg.fields['web.hits'], 6);
  assert.equal(avg.fields['web.load'], 1.5);
  const nz = (await (await fetch(`${base}/v1/stats?agg=nonzero-min&prefix=web.load`)).json()) as typeof body;
  assert.deepEqual(nz.fields, { 'web.load': 3 });
});

test('GET /metrics serves the Prometheus exposition; HEAD has no body', async (t) => {
  const { base } = await serve(t, fixture(t));
  const res = await fetch(`${base}/metrics`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), PROMETHEUS_CONTENT_TYPE);
  const text = await res.text();
  assert.match(text, /\n# TYPE web_hits_total counter\nweb_hits_total 12\n/);
  assert.match(text, /\napi_hits_total 100\n/);
  assert.match(text, /\nweb_lat_count 4\n/);
  assert.match(text, /\nwaymark_stats_unreadable_files 1\n/);
  const head = await fetch(`${base}/metrics?prefix=api.`, { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(await head.text(), '');
  assert.ok(Number(head.headers.get('content-length')) > 0);
});

test('bad requests are 400s with a JSON error; other methods 405; other paths are left alone', async (t) => {
  const { base, declined } = await serve(t, fixture(t));
  for (const [query, re] of [
    ['agg=median', /unknown agg "median"; expected one of sum, avg, min, max, nonzero-avg, nonzero-min/],
    ['glob=../etc/*', /may only match file names inside the stats directory/],
    ['glob=%2Fetc%2Fpasswd', /may only match file names inside the stats directory/],
    ['glob=..', /may only match file names/],
    ['aggr=sum', /unknown query parameter "aggr"/],
    ['agg=sum&agg=avg', /"agg" given 2 times/],
  ] as const) {
    const res = await fetch(`${base}/v1/stats?${query}`);
    assert.equal(res.status, 400, query);
    assert.match(((await res.json()) as { error: string }).error, re, query);
  }
  const bad = await fetch(`${base}/metrics?agg=sum`);
  assert.equal(bad.status, 400);
  const post = await fetch(`${base}/v1/stats`, { method: 'POST', body: '{}' });
  assert.equal(post.status, 405);
  assert.equal(post.headers.get('allow'), 'GET, HEAD');
  for (const path of ['/', '/v1/stats/x', '/metricsx', '/v1/streams']) {
    const res = await fetch(`${base}${path}`);
    assert.equal(res.status, 404, path);
    assert.equal(await res.text(), 'mine');
  }
  assert.deepEqual(declined, ['/', '/v1/stats/x', '/metricsx', '/v1/streams']);
});
