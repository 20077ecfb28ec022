import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect } from 'node:net';
import { createServer } from '../../src/server/create-server.js';
import { ServerStartError } from '../../src/server/errors.js';
import { FakeBackend } from './fake-backend.js';
import { notification, post, startServer } from './harness.js';

describe('routing and errors', () => {
  test('unknown paths are 404s that list the routes', async () => {
    const h = await startServer();
    for (const path of ['/', '/v2/streams', '/v1/streams/1/events', '/v1']) {
      const res = await h.json(path);
      assert.equal(res.status, 404, path);
      assert.deepEqual(Object.keys(res.body), ['error']);
      assert.equal(res.body.error.status, 404);
      assert.match(
        res.body.error.message,
        new RegExp(`^no route for GET ${path.replaceAll('/', '\\/')}; the API has: `),
      );
      assert.match(
        res.body.error.message,
        /POST \/v1\/notifications, POST \/v1\/events, GET \/v1\/streams, .*GET \/v1\/dead-letters, GET \/v1\/phases, GET \/v1\/reports\/phases, GET \/v1\/reports\/events, GET \/v1\/reports\/runs$/,
      );
    }
  });

  test('a trailing slash is ignored', async () => {
    const h = await startServer();
    assert.equal((await h.json('/v1/health/')).status, 200);
  });

  test('wrong methods are 405s with Allow', async () => {
    const h = await startServer();
    const cases: [string, string, string][] = [
      ['GET', '/v1/notifications', 'POST'],
      ['DELETE', '/v1/streams', 'GET, HEAD'],
      ['POST', '/v1/streams/3', 'GET, HEAD, DELETE, PUT'],
      ['PATCH', '/v1/events/x', 'GET, HEAD'],
    ];
    for (const [method, path, allow] of cases) {
      const res = await h.json(path, { method });
      assert.equal(res.status, 405, `${method} ${path}`);
      assert.equal(res.headers.get('allow'), allow);
      assert.match(
        res.body.error.message,
        new RegExp(`^method ${method} is not allowed on .*; allowed: ${allow}$`),
      );
    }
  });

  test('HEAD answers like GET without a body', async () => {
    const h = await startServer();
    const res = await h.fetch('/v1/health', { method: 'HEAD' });
    assert.equal(res.status, 200);
    assert.equal(await res.text(), '');
  });

  test('an unexpected exception is a logged 500, and the server carries on', async () => {
    const h = await startServer();
    h.backend.store.failWith = new Error('disk on fire');
    const res = await h.json('/v1/streams');
    assert.equal(res.status, 500);
    assert.match(
      res.body.error.message,
      /^internal error while handling GET \/v1\/streams \(request \d+\); see the server log$/,
    );
    assert.doesNotMatch(res.body.error.message, /disk on fire/, 'internals are not leaked');
    assert.equal(h.log.error.length, 1);
    assert.match(h.log.error[0]!, /GET \/v1\/streams failed/);
    h.backend.store.failWith = undefined;
    assert.equal((await h.json('/v1/streams')).status, 200);
  });

  test('malformed HTTP gets a JSON 400 and the server survives', async () => {
    const h = await startServer();
    const { port } = new URL(h.url);
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () => socket.write('GARBAGE\r\n\r\n'));
      let data = '';
      socket.on('data', (d: Buffer) => (data += d.toString()));
      socket.on('end', () => resolve(data));
      socket.on('error', reject);
    });
    assert.match(answer, /^HTTP\/1\.1 400 Bad Request\r\n/);
    assert.match(answer, /"error":\{"status":400,"message":"malformed HTTP request/);
    assert.equal((await h.json('/v1/health')).status, 200);
  });

  test('a request whose body never completes gets a JSON 408', async () => {
    const h = await startServer({ requestTimeoutMs: 400 });
    const { port } = new URL(h.url);
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () =>
        socket.write('POST /v1/notifications HTTP/1.1\r\nhost: x\r\ncontent-length: 100\r\n\r\n[{"a"'),
      );
      let data = '';
      socket.on('data', (d: Buffer) => (data += d.toString()));
      socket.on('close', () => resolve(data));
      socket.on('error', reject);
    });
    assert.match(answer, /^HTTP\/1\.1 408 Request Timeout\r\n/);
    assert.match(answer, /"message":"request not received within 400 ms"/);
    assert.equal(h.backend.ingests.length, 0);
    assert.equal((await h.json('/v1/health')).status, 200);
  });

  test('an Expect: 100-continue upload over the limit is refused before the body is sent', async () => {
    const h = await startServer({ maxBodyBytes: 1000 });
    const { port } = new URL(h.url);
    const status = await new Promise<{ status: number; continued: boolean }>((resolve, reject) => {
      let continued = false;
      const req = request({
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/v1/notifications',
        headers: { expect: '100-continue', 'content-length': '5000', 'content-type': 'application/json' },
      });
      req.on('continue', () => {
        continued = true;
        req.end('x'.repeat(5000));
      });
      req.on('response', (res) => {
        res.resume();
        resolve({ status: res.statusCode ?? 0, continued });
      });
      req.on('error', reject);
      req.flushHeaders();
    });
    assert.deepEqual(status, { status: 413, continued: false });
    assert.equal(h.backend.ingests.length, 0);
  });
});

describe('extra handlers', () => {
  test('are tried after the API and before the 404, in order', async () => {
    const seen: string[] = [];
    const h = await startServer({
      extraHandlers: [
        (req, res) => {
          seen.push(`a ${req.url}`);
          if (req.url !== '/metrics') return false;
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.end('waymark_up 1\n');
          return true;
        },
        async (req, res) => {
          seen.push(`b ${req.url}`);
          await new Promise((resolve) => setImmediate(resolve));
          if (req.url !== '/index.html') return false;
          res.writeHead(200, { 'content-type': 'text/html' }).end('<h1>waymark</h1>');
          return true;
        },
        (req) => {
          if (req.url === '/boom') throw new Error('handler bug');
          return false;
        },
      ],
    });
    const metrics = await h.fetch('/metrics');
    assert.equal(metrics.status, 200);
    assert.equal(await metrics.text(), 'waymark_up 1\n');
    assert.equal(await (await h.fetch('/index.html')).text(), '<h1>waymark</h1>');
    assert.equal((await h.json('/v1/health')).status, 200, 'API routes first');
    assert.equal((await h.json('/nothing')).status, 404);
    const boom = await h.json('/boom');
    assert.equal(boom.status, 500);
    assert.deepEqual(seen, [
      'a /metrics',
      'a /index.html',
      'b /index.html',
      'a /nothing',
      'b /nothing',
      'a /boom',
      'b /boom',
    ]);
    assert.equal(h.log.error.length, 1);
  });
});

describe('lifecycle', () => {
  test('start twice gives the same address; close is idempotent; nothing listens afterwards', async () => {
    const server = createServer({ backend: new FakeBackend() });
    const a = await server.start();
    const b = await server.start();
    assert.deepEqual(a, b);
    assert.match(a.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.ok(a.port > 0);
    assert.equal((await fetch(`${a.url}/v1/health`)).status, 200);
    await Promise.all([server.close(), server.close()]);
    await server.close();
    await assert.rejects(fetch(`${a.url}/v1/health`));
    await assert.rejects(server.start(), ServerStartError);
  });

  test('close() before start() resolves', async () => {
    const server = createServer({ backend: new FakeBackend() });
    await server.close();
    await assert.rejects(server.start(), /cannot start the HTTP API after close/);
  });

  test('a port in use is a ServerStartError that says what to do', async () => {
    const h = await startServer();
    const other = createServer({ backend: new FakeBackend(), port: Number(new URL(h.url).port) });
    await assert.rejects(other.start(), (err: Error) => {
      assert.ok(err instanceof ServerStartError);
      assert.match(err.message, /^cannot listen on 127\.0\.0\.1:\d+: .*EADDRINUSE.*; pick another port/);
      return true;
    });
    await other.close();
  });

  test('close() while a request is in flight waits for it to be answered', async () => {
    const backend = new FakeBackend();
    const server = createServer({ backend });
    const { url } = await server.start();
    let release!: () => void;
    backend.gate = new Promise((resolve) => (release = resolve));
    const started = new Promise<void>((resolve) => (backend.onIngest = resolve));
    const pending = fetch(`${url}/v1/notifications`, post([notification(1)], 'application/json'));
    await started;
    let closed = false;
    const closing = server.close().then(() => (closed = true));
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(closed, false, 'close waits for the request in flight');
    await assert.rejects(fetch(`${url}/v1/health`), 'no new connections while closing');
    release();
    const res = await pending;
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { accepted: number }).accepted, 1);
    assert.equal(res.headers.get('connection'), 'close');
    await closing;
    assert.equal(closed, true);
  });

  test('close() gives up on requests that outlive closeTimeoutMs', async () => {
    const backend = new FakeBackend();
    const warnings: string[] = [];
    const server = createServer({
      backend,
      closeTimeoutMs: 100,
      log: { info() {}, warn: (m) => warnings.push(m), error() {} },
    });
    const { url } = await server.start();
    backend.gate = new Promise(() => {});
    const started = new Promise<void>((resolve) => (backend.onIngest = resolve));
    const pending = fetch(`${url}/v1/notifications`, post([notification(1)], 'application/json'));
    await started;
    await server.close();
    await assert.rejects(pending);
    assert.match(warnings.join('\n'), /1 request\(s\) still in flight after 100 ms; dropping them/);
  });

  test('flush() resolves when no request is in flight', async () => {
    const h = await startServer();
    let release!: () => void;
    h.backend.gate = new Promise((resolve) => (release = resolve));
    const started = new Promise<void>((resolve) => (h.backend.onIngest = resolve));
    const pending = h.fetch('/v1/notifications', post([notification(1)]));
    await started;
    let flushed = false;
    const flushing = h.server.flush().then(() => (flushed = true));
    await new Promise((resolve) => setTimeout(resolve, 30));
    assert.equal(flushed, false);
    release();
    await (await pending).text();
    await flushing;
    assert.equal(flushed, true);
  });

  test('aborting the signal closes the server', async () => {
    const controller = new AbortController();
    const server = createServer({ backend: new FakeBackend(), signal: controller.signal });
    const { url } = await server.start();
    controller.abort();
    await server.close();
    await assert.rejects(fetch(`${url}/v1/health`));
  });
});
