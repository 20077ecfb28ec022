import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Instant } from '../../src/model/instant.js';
import { WebhookError } from '../../src/pipeline/handlers/webhook.js';
import { runPipeline, type PipelineRunResult } from '../../src/pipeline/run-pipeline.js';
import { builtin, ev, MemoryLog, pipeline, runOne, streamRef } from './helpers.js';

interface Received {
  method: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A real HTTP server on 127.0.0.1; `respond` decides each answer (by the request's 0-based number). */
async function withServer(
  respond: (n: number, res: ServerResponse) => void,
  fn: (url: string, received: Received[]) => Promise<void>,
): Promise<void> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const n = received.length;
      received.push({
        method: req.method ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      });
      respond(n, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  try {
    await fn(`http://127.0.0.1:${port}/hook`, received);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

const EVENTS = [
  ev(
    'compute.instance.create.start',
    '2014-06-11T16:09:41.123456Z',
    { instance_id: 'inst-1', memory_mb: 512 },
    'm1',
  ),
  ev(
    'compute.instance.create.end',
    '2014-06-11T16:10:33.000001Z',
    { instance_id: 'inst-1', launched_at: Instant.parse('2014-06-11 16:10:32.5') },
    'm2',
  ),
];

const fast = { timeout: 2, retries: 3, backoff: 0.01 };

function status(r: PipelineRunResult): string {
  return r.status === 'committed' ? 'committed' : `error: ${r.error}`;
}

test('POSTs the stream and its events as JSON with the idempotency key', async () => {
  await withServer(
    (_n, res) => res.writeHead(204).end(),
    async (url, received) => {
      const r = await runOne('webhook', { url, headers: { Authorization: 'Bearer t0k' } }, EVENTS, {
        stream: streamRef({ id: 12, kind: 'fire', pipeline: 'build_time', attempt: 2 }),
      });
      assert.equal(status(r), 'committed');
      assert.equal(received.length, 1);
      const got = received[0] as Received;
      assert.equal(got.method, 'POST');
      assert.equal(got.headers['idempotency-key'], '12:fire:build_time');
      assert.equal(got.headers['authorization'], 'Bearer t0k');
      assert.match(String(got.headers['content-type']), /^application\/json/);
      assert.deepEqual(JSON.parse(got.body), {
        stream: {
          id: 12,
          trigger: 'build_time',
          distinguished_by: { instance_id: 'inst-1' },
          kind: 'fire',
          pipeline: 'build_time',
          attempt: 2,
          idempotency_key: '12:fire:build_time',
        },
        events: [
          {
            message_id: 'm1',
            event_type: 'compute.instance.create.start',
            timestamp: '2014-06-11T16:09:41.123456Z',
            received: '2014-06-11T16:09:41.123456Z',
            traits: { instance_id: 'inst-1', memory_mb: 512 },
          },
          {
            message_id: 'm2',
            event_type: 'compute.instance.create.end',
            timestamp: '2014-06-11T16:10:33.000001Z',
            received: '2014-06-11T16:10:33.000001Z',
            traits: { instance_id: 'inst-1', launched_at: '2014-06-11T16:10:32.500000Z' },
          },
        ],
      });
    },
  );
});

test('body: summary sends counts instead of events; PUT is honoured', async () => {
  await withServer(
    (_n, res) => res.writeHead(200).end('ok'),
    async (url, received) => {
      const r = await runOne('webhook', { url, body: 'summary', method: 'PUT' }, EVENTS);
      assert.equal(status(r), 'committed');
      assert.equal(received[0]?.method, 'PUT');
      const body = JSON.parse(received[0]?.body ?? '{}') as Record<string, unknown>;
      assert.equal('events' in body, false);
      assert.deepEqual(body['summary'], {
        event_count: 2,
        first: '2014-06-11T16:09:41.123456Z',
        last: '2014-06-11T16:10:33.000001Z',
        event_types: { 'compute.instance.create.start': 1, 'compute.instance.create.end': 1 },
      });
    },
  );
});

test('retries after 500 and 429, then succeeds; the idempotency key is the same on every attempt', async () => {
  const answers = [500, 503, 429, 201];
  await withServer(
    (n, res) => res.writeHead(answers[n] ?? 500, answers[n] === 429 ? { 'retry-after': '0' } : {}).end(),
    async (url, received) => {
      const log = new MemoryLog();
      const r = await runOne('webhook', { url, ...fast }, EVENTS, { log });
      assert.equal(status(r), 'committed');
      assert.equal(received.length, 4);
      assert.deepEqual(
        new Set(received.map((x) => x.headers['idempotency-key'])),
        new Set(['42:fire:build_time']),
      );
      assert.equal(new Set(received.map((x) => x.body)).size, 1);
      assert.equal(
        log.warnings().filter((w) => /attempt \d failed \(HTTP (500|503|429)\); retrying/.test(w)).length,
        3,
      );
    },
  );
});

test('gives up after the retries with the last status; a 4xx fails at once', async () => {
  await withServer(
    (_n, res) => res.writeHead(502).end('bad gateway'),
    async (url, received) => {
      const r = await runOne('webhook', { url, ...fast, retries: 2 }, EVENTS);
      assert.equal(received.length, 3);
      assert.equal(r.status, 'error');
      if (r.status === 'error') {
        assert.equal(r.handler, 'webhook');
        assert.equal(r.phase, 'commit');
        assert.ok(r.cause instanceof WebhookError);
        assert.equal(r.cause.status, 502);
        assert.match(r.error, /failed after 3 attempts \(last: HTTP 502: bad gateway\)/);
      }
    },
  );
  await withServer(
    (_n, res) => res.writeHead(403).end('forbidden'),
    async (url, received) => {
      const r = await runOne('webhook', { url, ...fast }, EVENTS);
      assert.equal(received.length, 1);
      assert.equal(r.status, 'error');
      if (r.status === 'error') {
        assert.equal((r.cause as WebhookError).status, 403);
        assert.match(r.error, /was refused \(HTTP 403: forbidden\); a 4xx is not retried/);
      }
    },
  );
});

test('a receiver that does not answer times out per attempt, and is retried', async () => {
  await withServer(
    () => {
      /* never answer */
    },
    async (url, received) => {
      const r = await runOne('webhook', { url, timeout: 0.15, retries: 1, backoff: 0 }, EVENTS);
      assert.equal(received.length, 2);
      assert.equal(r.status, 'error');
      if (r.status === 'error')
        assert.match(r.error, /failed after 2 attempts \(last: no response within 0.15 s\)/);
    },
  );
});

test('network errors are retried and reported', async () => {
  // A port nobody listens on: take one from a closed server.
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  const log = new MemoryLog();
  const r = await runOne('webhook', { url: `http://127.0.0.1:${port}/`, ...fast, retries: 1 }, EVENTS, {
    log,
  });
  assert.equal(r.status, 'error');
  if (r.status === 'error')
    assert.match(r.error, /failed after 2 attempts \(last: fetch failed \(.*ECONNREFUSED/);
  assert.equal(log.warnings().length >= 1, true);
});

test('the run timeout stops a webhook stuck in backoff', async () => {
  await withServer(
    (_n, res) => res.writeHead(500).end(),
    async (url, received) => {
      const started = Date.now();
      const r = await runOne('webhook', { url, retries: 5, backoff: 30 }, EVENTS, { timeoutMs: 200 });
      assert.equal(r.status, 'error');
      if (r.status === 'error') assert.match(r.error, /timed out after 200 ms/);
      assert.equal(received.length, 1);
      assert.ok(Date.now() - started < 10_000);
    },
  );
});

test('the same stream retried sends the same idempotency key; another pipeline a different one', async () => {
  await withServer(
    (n, res) => res.writeHead(n === 0 ? 500 : 200).end(),
    async (url, received) => {
      const def = (name: string) =>
        pipeline([{ spec: builtin('webhook'), params: { url, retries: 0 } }], name);
      const first = await runPipeline(def('alert'), EVENTS, {
        stream: streamRef({ id: 5, pipeline: 'alert', attempt: 1 }),
        log: new MemoryLog(),
      });
      assert.equal(first.status, 'error');
      const retry = await runPipeline(def('alert'), EVENTS, {
        stream: streamRef({ id: 5, pipeline: 'alert', attempt: 2 }),
        log: new MemoryLog(),
      });
      assert.equal(retry.status, 'committed');
      const other = await runPipeline(def('audit'), EVENTS, {
        stream: streamRef({ id: 5, pipeline: 'audit', kind: 'expire' }),
        log: new MemoryLog(),
      });
      assert.equal(other.status, 'committed');
      assert.deepEqual(
        received.map((x) => x.headers['idempotency-key']),
        ['5:fire:alert', '5:fire:alert', '5:expire:audit'],
      );
    },
  );
});
