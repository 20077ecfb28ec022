import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { IngestReport } from '../../src/server/backend.js';
import { BackendBusyError } from '../../src/server/errors.js';
import { wrapOslo } from '../../src/model/notification.js';
import { notification, post, startServer, type ErrorReply, type Harness } from './harness.js';

const NDJSON = 'application/x-ndjson';

async function ingest(h: Harness, body: unknown, contentType?: string, path = '/v1/notifications') {
  return h.json<IngestReport & ErrorReply>(path, post(body, contentType));
}

/** Every test ends with this: whatever was sent, the server still answers. */
async function assertAlive(h: Harness): Promise<void> {
  const res = await h.json<{ status: string }>('/v1/health');
  assert.equal(res.status, 200);
  assert.equal(res.body.status, 'ok');
}

describe('POST /v1/notifications', () => {
  test('a JSON array: every item reaches the backend with its raw text; the report is the answer', async () => {
    const h = await startServer();
    const items = [notification(1), notification(2), wrapOslo(notification(3))];
    const res = await ingest(h, items, 'application/json');
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, {
      received: 3,
      accepted: 3,
      duplicates: 0,
      undefined: 0,
      deadLettered: 0,
      reasons: [],
    });
    assert.equal(h.backend.ingests.length, 1);
    const call = h.backend.ingests[0]!;
    assert.equal(call.kind, 'notifications');
    assert.equal(call.source, 'http');
    assert.deepEqual(call.items, items, 'the oslo envelope is passed as is: the backend unwraps');
    assert.deepEqual(
      call.raw!.map((r) => JSON.parse(r) as unknown),
      items,
    );
    assert.ok(h.backend.store.events.has('msg-3'));
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  });

  test('a single JSON object is one item; its raw text is the body', async () => {
    const h = await startServer();
    const body = JSON.stringify(notification(7), null, 2);
    const res = await ingest(h, body, 'application/json; charset=utf-8');
    assert.equal(res.status, 200);
    assert.equal(res.body.accepted, 1);
    assert.deepEqual(h.backend.ingests[0]!.raw, [body]);
  });

  test('JSON lines with one bad line: the line is dead-lettered with its number, the rest ingested', async () => {
    const h = await startServer();
    const body = [
      JSON.stringify(notification(1)),
      '{"message_id": "broken',
      '',
      JSON.stringify(notification(2)),
      '',
    ].join('\r\n');
    const res = await ingest(h, body, NDJSON);
    assert.equal(res.status, 200);
    assert.equal(res.body.received, 3);
    assert.equal(res.body.accepted, 2);
    assert.equal(res.body.deadLettered, 1);
    assert.match(res.body.reasons[0]!, /^line 2: not JSON/);
    assert.deepEqual(h.backend.ingests[0]!.raw, [
      JSON.stringify(notification(1)),
      JSON.stringify(notification(2)),
    ]);
    assert.equal(h.backend.deadLetterCalls.length, 1);
    const dl = h.backend.deadLetterCalls[0]!;
    assert.equal(dl.source, 'http');
    assert.deepEqual(
      dl.payloads.map((p) => p.payload),
      ['{"message_id": "broken'],
    );
    assert.match(dl.payloads[0]!.reason, /^line 2: /);
    await assertAlive(h);
  });

  test('JSON lines are detected without an NDJSON Content-Type (text/plain, or none)', async () => {
    const h = await startServer();
    const lines = `${JSON.stringify(notification(1))}\nnot json at all\n${JSON.stringify(notification(2))}\n`;
    const plain = await ingest(h, lines, 'text/plain');
    assert.equal(plain.status, 200);
    assert.equal(plain.body.accepted, 2);
    assert.equal(plain.body.deadLettered, 1);
    const none = await h.json<IngestReport>('/v1/notifications', {
      method: 'POST',
      body: Buffer.from(lines.replaceAll('msg-', 'other-')),
    });
    assert.equal(none.status, 200);
    assert.equal(none.body.accepted, 2);
    assert.match(none.body.reasons[0]!, /^line 2: not JSON/);
  });

  test('an NDJSON body whose first line is bad still ingests the rest', async () => {
    const h = await startServer();
    const res = await ingest(h, `oops\n${JSON.stringify(notification(1))}\n`, NDJSON);
    assert.equal(res.status, 200);
    assert.equal(res.body.accepted, 1);
    assert.equal(h.backend.deadLetterCalls[0]!.payloads[0]!.payload, 'oops');
  });

  test('items with missing fields and non-objects go to the backend, which dead-letters them', async () => {
    const h = await startServer();
    const items = [{ event_type: 'compute.instance.update' }, 42, null, 'text', notification(1)];
    const res = await ingest(h, items);
    assert.equal(res.status, 200);
    assert.deepEqual(h.backend.ingests[0]!.items, items, 'the backend saw every item');
    assert.equal(res.body.accepted, 1);
    assert.equal(res.body.deadLettered, 4);
    assert.equal(h.backend.store.dead.length, 4);
    assert.equal(h.backend.store.dead[0]!.payload, '{"event_type":"compute.instance.update"}');
    assert.equal(h.backend.deadLetterCalls.length, 0, 'the server itself dead-lettered nothing');
  });

  test('duplicates are reported', async () => {
    const h = await startServer();
    await ingest(h, [notification(1)]);
    const res = await ingest(h, [notification(1), notification(2)]);
    assert.equal(res.body.duplicates, 1);
    assert.equal(res.body.accepted, 1);
  });

  test('broken JSON (a "[" that never closes) is a 400; the body is dead-lettered, nothing ingested', async () => {
    const h = await startServer();
    const body = `[${JSON.stringify(notification(1))},\n${JSON.stringify(notification(2))}\n`;
    const res = await ingest(h, body, 'application/json');
    assert.equal(res.status, 400);
    assert.equal(res.body.error.status, 400);
    assert.match(
      res.body.error.message,
      /^body is not valid JSON \(.+\); expected a JSON array, a JSON object, or JSON lines/,
    );
    assert.equal(h.backend.ingests.length, 0);
    assert.equal(h.backend.deadLetterCalls.length, 1);
    assert.equal(h.backend.deadLetterCalls[0]!.payloads[0]!.payload, body);
    assert.match(h.backend.deadLetterCalls[0]!.payloads[0]!.reason, /^refused body: /);
    await assertAlive(h);
  });

  test('a broken single object is a 400', async () => {
    const h = await startServer();
    const res = await ingest(h, '{"message_id": "x", "payload": {', 'application/json');
    assert.equal(res.status, 400);
    assert.match(res.body.error.message, /not valid JSON/);
    await assertAlive(h);
  });

  test('a huge broken body is dead-lettered truncated to 64 KiB', async () => {
    const h = await startServer();
    const body = '[' + '"x",'.repeat(100_000);
    const res = await ingest(h, body);
    assert.equal(res.status, 400);
    const payload = h.backend.deadLetterCalls[0]!.payloads[0]!.payload;
    assert.ok(payload.length < 70_000, `payload of ${payload.length} characters`);
    assert.ok(payload.startsWith('["x","x"'));
    assert.match(payload, /truncated, 400001 characters in all/);
  });

  test('empty and blank bodies are 400s', async () => {
    const h = await startServer();
    for (const body of ['', '   \n\r\n  ']) {
      const res = await ingest(h, body, 'application/json');
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.match(res.body.error.message, /^empty body; expected notifications as a JSON array/);
    }
    assert.equal(h.backend.ingests.length, 0);
    await assertAlive(h);
  });

  test('unsupported content types are 415s that list what is accepted', async () => {
    const h = await startServer();
    for (const type of ['text/html', 'application/xml', 'application/json; charset=latin1']) {
      const res = await ingest(h, [notification(1)], type);
      assert.equal(res.status, 415, type);
      assert.match(res.body.error.message, /application\/json, application\/x-ndjson, text\/plain|charset/);
    }
    const form = await ingest(h, 'a=1', 'application/x-www-form-urlencoded');
    assert.match(
      form.body.error.message,
      /curl -d sends application\/x-www-form-urlencoded: add -H 'content-type: application\/json'/,
    );
    assert.equal(h.backend.ingests.length, 0);
    await assertAlive(h);
  });

  test('a 10 MB body is a 413 and never reaches the backend', async () => {
    const h = await startServer();
    const line = JSON.stringify(notification(1)) + '\n';
    const body = line.repeat(Math.ceil(10_000_000 / line.length));
    const res = await ingest(h, body, NDJSON);
    assert.equal(res.status, 413);
    assert.match(res.body.error.message, /exceeds the limit of 8388608 bytes; send smaller batches/);
    assert.equal(h.backend.ingests.length, 0);
    await assertAlive(h);
  });

  test('a chunked body that grows past maxBodyBytes is a 413 as soon as it does', async () => {
    const h = await startServer({ maxBodyBytes: 64 * 1024 });
    let sent = 0;
    const chunk = new TextEncoder().encode(JSON.stringify(notification(1)) + '\n');
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        sent += chunk.length;
        if (sent > 4 * 1024 * 1024) controller.close();
        else controller.enqueue(chunk);
      },
    });
    const res = await h.json('/v1/notifications', {
      method: 'POST',
      body: stream,
      headers: { 'content-type': NDJSON },
      duplex: 'half',
    });
    assert.equal(res.status, 413);
    assert.match(res.body.error.message, /exceeds the limit of 65536 bytes/);
    assert.equal(h.backend.ingests.length, 0);
    await assertAlive(h);
  });

  test('a body nested 100,000 deep is a 400, not a crash', async () => {
    const h = await startServer();
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    const res = await ingest(h, deep, 'application/json');
    assert.equal(res.status, 400);
    assert.match(res.body.error.message, /nested more than 512 levels deep/);
    const deepObject = '{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000);
    const res2 = await ingest(h, [deepObject].join(''), 'application/json');
    assert.equal(res2.status, 400);
    assert.equal(h.backend.ingests.length, 0);
    await assertAlive(h);
  });

  test('a deeply nested JSON line is dead-lettered; the other lines are ingested', async () => {
    const h = await startServer();
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    const res = await ingest(h, `${JSON.stringify(notification(1))}\n${deep}\n`, NDJSON);
    assert.equal(res.status, 200);
    assert.equal(res.body.accepted, 1);
    assert.equal(res.body.deadLettered, 1);
    assert.match(res.body.reasons[0]!, /^line 2: nested more than 512 levels deep/);
  });

  test('a byte-order mark is ignored', async () => {
    const h = await startServer();
    const res = await ingest(h, '\ufeff' + JSON.stringify([notification(1)]), 'application/json');
    assert.equal(res.status, 200);
    assert.equal(res.body.accepted, 1);
  });

  test('an overloaded backend gives 503 with Retry-After', async () => {
    const h = await startServer();
    h.backend.busy = new BackendBusyError('ingest queue full', { retryAfterSeconds: 2.5 });
    const res = await ingest(h, [notification(1)]);
    assert.equal(res.status, 503);
    assert.equal(res.headers.get('retry-after'), '3');
    assert.match(res.body.error.message, /^server busy: ingest queue full; retry after 3 s$/);
    h.backend.busy = undefined;
    assert.equal((await ingest(h, [notification(1)])).status, 200);
  });

  test('the answer waits for the backend (it is the acknowledgement)', async () => {
    const h = await startServer();
    let release!: () => void;
    h.backend.gate = new Promise((resolve) => (release = resolve));
    let answered = false;
    const pending = ingest(h, [notification(1)]).then((r) => {
      answered = true;
      return r;
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(answered, false);
    release();
    assert.equal((await pending).status, 200);
  });
});

describe('POST /v1/events', () => {
  test('distilled events are ingested; bad ones dead-lettered by the backend', async () => {
    const h = await startServer();
    const good = {
      message_id: 'e1',
      event_type: 'compute.instance.create.end',
      timestamp: '2014-06-11T16:09:41.123456Z',
      traits: { instance_id: 'i-1', memory_mb: 512 },
    };
    const res = await ingest(
      h,
      [good, { event_type: 'x', timestamp: 'never' }],
      'application/json',
      '/v1/events',
    );
    assert.equal(res.status, 200);
    assert.equal(res.body.accepted, 1);
    assert.equal(res.body.deadLettered, 1);
    assert.equal(h.backend.ingests[0]!.kind, 'events');
    assert.equal(h.backend.store.events.get('e1')?.traits['memory_mb'], 512);
  });

  test('NDJSON events with a bad line', async () => {
    const h = await startServer();
    const e = (id: string) =>
      JSON.stringify({ message_id: id, event_type: 't', timestamp: '2014-06-11T16:09:41Z', traits: {} });
    const res = await ingest(h, `${e('a')}\n{{{\n${e('b')}`, NDJSON, '/v1/events');
    assert.equal(res.status, 200);
    assert.equal(res.body.accepted, 2);
    assert.equal(res.body.deadLettered, 1);
  });
});
