import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { GeneratedNotification } from '../../src/generate/generated-notification.js';
import { HttpSink, HttpSinkError, parseHttpUrl } from '../../src/generate/sinks/http-sink.js';
import { fileSink } from '../../src/generate/sinks/stream-sink.js';
import { resolveScenario, UnknownScenarioError } from '../../src/generate/resolve-scenario.js';
import { TimestampFormatter } from '../../src/generate/fast-format.js';
import { MinHeap } from '../../src/generate/min-heap.js';
import { Rng } from '../../src/generate/rng.js';
import { formatIso, formatOpenStack } from '../../src/model/instant.js';

function items(n: number): GeneratedNotification[] {
  return Array.from({ length: n }, (_, i) => ({
    emitted: i,
    received: i,
    notification: { i },
    line: JSON.stringify({ i }),
  }));
}

interface Hit {
  type: string | undefined;
  body: string;
}

async function server(answer: (n: number) => number): Promise<{ url: string; hits: Hit[]; srv: Server }> {
  const hits: Hit[] = [];
  const srv = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      hits.push({ type: req.headers['content-type'], body });
      const status = answer(hits.length);
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status >= 400 ? 'nope' : 'ok');
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${port}/v1/notifications`, hits, srv };
}

test('http sink: NDJSON batches of batchSize, in order', async () => {
  const { url, hits, srv } = await server(() => 202);
  try {
    const sink = new HttpSink(url, { batchSize: 4 });
    await sink.write(items(6));
    await sink.write(items(3));
    await sink.close();
    await sink.close(); // idempotent
    assert.equal(hits.length, 3);
    for (const h of hits) assert.equal(h.type, 'application/x-ndjson');
    const lines = hits.flatMap((h) => h.body.trimEnd().split('\n'));
    assert.deepEqual(
      lines,
      [...items(6), ...items(3)].map((g) => g.line),
    );
    assert.equal(hits[0]?.body.split('\n').length, 5);
  } finally {
    srv.close();
  }
});

test('http sink: retries 5xx with backoff, then succeeds', async () => {
  const { url, hits, srv } = await server((n) => (n <= 2 ? 503 : 200));
  try {
    const sink = new HttpSink(url, { batchSize: 10, backoffMs: 5, retries: 3 });
    await sink.write(items(5));
    await sink.close();
    assert.equal(hits.length, 3);
    assert.equal(hits[2]?.body, hits[0]?.body);
    assert.equal(sink.retried, 2);
  } finally {
    srv.close();
  }
});

test('http sink: a 4xx is a clear error at once; 5xx past the retries too', async () => {
  const { url, hits, srv } = await server((n) => (n === 1 ? 400 : 500));
  try {
    const sink = new HttpSink(url, { batchSize: 2, backoffMs: 1, retries: 2 });
    await assert.rejects(
      sink.write(items(2)),
      (e: unknown) => e instanceof HttpSinkError && /400 Bad Request: nope/.test(e.message),
    );
    assert.equal(hits.length, 1);
    const sink2 = new HttpSink(url, { batchSize: 2, backoffMs: 1, retries: 2 });
    await assert.rejects(sink2.write(items(2)), /failed after 3 attempts: 500/);
  } finally {
    srv.close();
  }
});

test('http sink: connection refused is retried, then reported', async () => {
  const { url, srv } = await server(() => 200);
  await new Promise<void>((r) => srv.close(() => r()));
  const sink = new HttpSink(url, { batchSize: 1, backoffMs: 1, retries: 1, timeoutMs: 2000 });
  await assert.rejects(
    sink.write(items(1)),
    (e: unknown) => e instanceof HttpSinkError && /after 2 attempts: ECONNREFUSED/.test(e.message),
  );
});

test('parseHttpUrl refuses what is not http(s)', () => {
  assert.equal(parseHttpUrl('http://127.0.0.1:8080/x').port, '8080');
  assert.throws(() => parseHttpUrl('amqp://host/x'), /unsupported scheme "amqp:"/);
  assert.throws(() => parseHttpUrl('not a url'), /not a URL/);
});

test('file sink writes JSON lines; close is idempotent', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'waymark-gen-'));
  const path = join(dir, 'out.jsonl');
  const sink = fileSink(path);
  await sink.write(items(3));
  await sink.close();
  await sink.close();
  assert.equal(readFileSync(path, 'utf8'), '{"i":0}\n{"i":1}\n{"i":2}\n');
  await assert.rejects(sink.write(items(1)), /after close/);
});

test('resolveScenario: known names, and a clear error for others', () => {
  assert.equal(resolveScenario('openstack').name, 'openstack');
  assert.throws(
    () => resolveScenario('nova'),
    (e: unknown) =>
      e instanceof UnknownScenarioError &&
      /unknown scenario "nova"; expected openstack, testruns or templates:DIR/.test(e.message),
  );
  assert.throws(() => resolveScenario('templates:'), /templates:DIR/);
});

test('TimestampFormatter agrees with the model formatter', () => {
  const rng = new Rng(1);
  const f = new TimestampFormatter();
  for (let i = 0; i < 5000; i++) {
    const t = rng.int(0, 4_000_000_000) * 1_000_000 + rng.int(0, 999_999);
    assert.equal(f.openstack(t), formatOpenStack(t));
    assert.equal(f.iso(t + 7), formatIso(t + 7));
  }
});

test('MinHeap pops in key order, ties in insertion order', () => {
  const rng = new Rng(2);
  const h = new MinHeap<[number, number]>();
  const all: [number, number][] = [];
  for (let i = 0; i < 2000; i++) {
    const e: [number, number] = [rng.int(0, 50), i];
    all.push(e);
    h.push(e[0], e);
  }
  const out: [number, number][] = [];
  while (h.size > 0) out.push(h.pop() as [number, number]);
  assert.deepEqual(
    out,
    [...all].sort((a, b) => a[0] - b[0] || a[1] - b[1]),
  );
});
