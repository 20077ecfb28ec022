import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { call, startServe, tempDir, type Answer, type ServeProcess } from './serve-process.js';

/** A 4xx with the API's JSON error body whose message matches `message`. */
function assertRefused(r: Answer, status: number, message: RegExp): void {
  assert.equal(r.status, status, r.text);
  const body = r.json as { error?: { status?: number; message?: string } } | undefined;
  assert.equal(body?.error?.status, status, r.text);
  assert.match(body.error.message ?? '', message);
}

interface Report {
  received: number;
  accepted: number;
  deadLettered: number;
  reasons: string[];
}

interface DeadLetterJSON {
  id: number;
  source: string;
  reason: string;
  payload: string;
}

function notification(id: string, type: string, instance: string, at: string): Record<string, unknown> {
  return { message_id: id, event_type: type, timestamp: at, payload: { instance_id: instance } };
}

describe('hostile input to a real `waymark serve` process', () => {
  const tmp = tempDir('hostile');
  let server: ServeProcess;

  before(async () => {
    server = await startServe(tmp.store, tmp.dir);
  });
  after(async () => {
    await server.stop();
    tmp.remove();
  });

  const deadLetters = async (): Promise<DeadLetterJSON[]> => {
    const r = await call(server.url, 'GET', '/v1/dead-letters?limit=1000');
    assert.equal(r.status, 200, r.text);
    return (r.json as { dead_letters: DeadLetterJSON[] }).dead_letters;
  };

  test('broken JSON, a huge body and deep nesting are refused with 400/413 and kept as dead letters', async () => {
    for (const path of ['/v1/notifications', '/v1/events']) {
      assertRefused(await call(server.url, 'POST', path, '{"message_id": "x",'), 400, /not valid JSON/);
      assertRefused(await call(server.url, 'POST', path, ''), 400, /empty body/);
      assertRefused(await call(server.url, 'POST', path, '[{"a": 1}, '), 400, /JSON/);
    }
    const deepArray = '['.repeat(100_000) + ']'.repeat(100_000);
    assertRefused(await call(server.url, 'POST', '/v1/notifications', deepArray), 400, /nested more than/);
    const deepObject = '{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000);
    assertRefused(await call(server.url, 'POST', '/v1/events', deepObject), 400, /nested more than/);
    const big = '[' + '"x",'.repeat(Math.ceil((10 * 1024 * 1024) / 4)) + '"x"]';
    assertRefused(await call(server.url, 'POST', '/v1/notifications', big), 413, /exceeds the limit/);
    assertRefused(
      await call(server.url, 'POST', '/v1/notifications', '{}', 'text/html'),
      415,
      /Content-Type/,
    );

    const letters = await deadLetters();
    const refused = letters.filter((d) => d.reason.startsWith('refused body:'));
    assert.ok(
      refused.some((d) => d.payload.startsWith('{"message_id": "x",')),
      'the broken body is kept for an operator',
    );
    assert.ok(refused.some((d) => /nested more than/.test(d.reason) && d.payload.startsWith('[[[[')));
  });

  test('items of the wrong shape are dead-lettered with their reason and payload; good items beside them are stored', async () => {
    const good = notification(
      'hostile-good-1',
      'compute.instance.create.start',
      'i-h1',
      '2014-06-11 16:09:41.123456',
    );
    const items = [
      42,
      null,
      { payload: { instance_id: 'i-h2' }, timestamp: '2014-06-11 16:09:42' }, // no event_type, no message_id
      { message_id: 'hostile-no-type', timestamp: '2014-06-11 16:09:42', payload: {} },
      { event_type: 'compute.instance.create.end', timestamp: '2014-06-11 16:09:42', payload: {} },
      { message_id: 7, event_type: ['x'], timestamp: 'x' },
      { 'oslo.version': '2.0', 'oslo.message': 'this is {not json' },
      good,
    ];
    const r = await call(server.url, 'POST', '/v1/notifications', items);
    assert.equal(r.status, 200, r.text);
    const report = r.json as Report;
    assert.equal(report.received, items.length);
    assert.equal(report.accepted, 1);
    assert.equal(report.deadLettered, items.length - 1);
    assert.ok(report.reasons.some((x) => /missing "event_type"/.test(x)));
    assert.ok(report.reasons.some((x) => /missing "message_id"/.test(x)));
    assert.ok(report.reasons.some((x) => /oslo\.message/.test(x)));

    const stored = await call(server.url, 'GET', '/v1/events/hostile-good-1');
    assert.equal(stored.status, 200, stored.text);
    assert.equal((stored.json as { event_type: string }).event_type, 'compute.instance.create.start');

    const letters = await deadLetters();
    const oslo = letters.find((d) => d.payload.includes('this is {not json'));
    assert.ok(oslo, 'the oslo envelope is a dead letter');
    assert.match(oslo.reason, /oslo\.message/);
    assert.equal(oslo.source, 'http');
    const noType = letters.find((d) => d.payload.includes('hostile-no-type'));
    assert.ok(noType);
    assert.match(noType.reason, /event_type/);
  });

  test('JSON lines with bad lines among good ones: bad lines dead-lettered, good ones stored', async () => {
    const lines = [
      JSON.stringify(
        notification('hostile-nd-1', 'compute.instance.create.start', 'i-n1', '2014-06-11 16:10:00'),
      ),
      'oops, not json',
      '[[[[' + '['.repeat(100_000) + ']'.repeat(100_004),
      JSON.stringify(
        notification('hostile-nd-2', 'compute.instance.create.end', 'i-n1', '2014-06-11 16:11:00'),
      ),
      '{"message_id": "hostile-nd-3", "event_type": "compute.instance.create.end", "timest',
    ];
    const r = await call(server.url, 'POST', '/v1/notifications', lines.join('\n'), 'application/x-ndjson');
    assert.equal(r.status, 200, r.text);
    const report = r.json as Report;
    assert.equal(report.received, 5);
    assert.equal(report.accepted, 2);
    assert.equal(report.deadLettered, 3);
    assert.ok(report.reasons.some((x) => x.startsWith('line 2: not JSON')));
    assert.ok(report.reasons.some((x) => x.startsWith('line 3: nested more than')));
    for (const id of ['hostile-nd-1', 'hostile-nd-2']) {
      assert.equal((await call(server.url, 'GET', `/v1/events/${id}`)).status, 200, id);
    }
    assert.equal((await call(server.url, 'GET', '/v1/events/hostile-nd-3')).status, 404);
    const letters = await deadLetters();
    const oops = letters.find((d) => d.payload === 'oops, not json');
    assert.ok(oops);
    assert.match(oops.reason, /^line 2: not JSON/);
    assert.ok(letters.some((d) => d.payload.startsWith('{"message_id": "hostile-nd-3"')));
  });

  test('events of the wrong shape are dead-lettered; a good one beside them is stored', async () => {
    const ok = {
      message_id: 'hostile-ev-1',
      event_type: 'x.y',
      timestamp: '2014-06-11T00:00:00Z',
      traits: { n: 1 },
    };
    const items = [
      { ...ok, message_id: 'hostile-ev-2', timestamp: 'yesterday' },
      { ...ok, message_id: 'hostile-ev-3', traits: 'none' },
      { ...ok, message_id: 'hostile-ev-4', traits: { nested: { a: 1 } } },
      { event_type: 'x.y', timestamp: '2014-06-11T00:00:00Z', traits: {} },
      ok,
    ];
    const r = await call(server.url, 'POST', '/v1/events', items);
    assert.equal(r.status, 200, r.text);
    const report = r.json as Report;
    assert.equal(report.accepted, 1);
    assert.equal(report.deadLettered, 4);
    assert.equal((await call(server.url, 'GET', '/v1/events/hostile-ev-1')).status, 200);
    for (const id of ['hostile-ev-2', 'hostile-ev-3', 'hostile-ev-4']) {
      assert.equal((await call(server.url, 'GET', `/v1/events/${id}`)).status, 404, id);
    }
    const letters = await deadLetters();
    const ts = letters.find((d) => d.payload.includes('hostile-ev-2'));
    assert.ok(ts);
    assert.match(ts.reason, /timestamp/);
  });

  test('bad query parameters are 400s that name the parameter', async () => {
    const cases: [string, RegExp][] = [
      ['/v1/streams?state=bogus', /"state".*bogus/],
      ['/v1/streams?state=active,', /"state"/],
      ['/v1/streams?limit=abc', /"limit"/],
      ['/v1/streams?limit=0', /"limit"/],
      ['/v1/streams?limit=100000', /"limit"/],
      ['/v1/streams?older_than=soon', /"older_than"/],
      ['/v1/streams?colour=red', /unknown query parameter "colour"/],
      ['/v1/streams?marker=not-a-marker', /marker/],
      ['/v1/streams?count=maybe', /"count"/],
      ['/v1/events?limit=-5', /"limit"/],
      ['/v1/events?limit=1.5', /"limit"/],
      ['/v1/events?traits.memory_mb=gte:4096', /unknown operator "gte"/],
      ['/v1/events?from=later', /"from"/],
      ['/v1/events?from=2014-06-12&to=2014-06-11', /"to".*before/],
      ['/v1/events?marker=not-a-marker', /marker/],
      ['/v1/events?typ=compute.*', /unknown query parameter "typ"/],
      ['/v1/dead-letters?limit=abc', /"limit"/],
      ['/v1/meters?verbose=1', /unknown query parameter/],
      ['/v1/streams/abc', /bad stream id/],
      ['/v1/streams/0', /bad stream id/],
      ['/v1/events/%ZZ', /percent-encoding/],
    ];
    for (const [path, message] of cases) assertRefused(await call(server.url, 'GET', path), 400, message);
  });

  test('unknown routes are 404s listing the API; wrong methods are 405s with Allow', async () => {
    // `/` is the dashboard (test/browser); other paths outside the API are 404s.
    for (const path of ['/v1/nope', '/v2/streams', '/nope', '/v1/streams/1/events']) {
      assertRefused(await call(server.url, 'GET', path), 404, /GET \/v1\/streams/);
    }
    assertRefused(await call(server.url, 'GET', '/v1/streams/424242'), 404, /no stream 424242/);
    assertRefused(await call(server.url, 'GET', '/v1/events/no-such-event'), 404, /no-such-event/);
    assertRefused(await call(server.url, 'GET', '/v1/events/no-such-event/explain'), 404, /no-such-event/);
    const wrong: [string, string][] = [
      ['POST', '/v1/streams'],
      ['DELETE', '/v1/events'],
      ['PATCH', '/v1/streams/1'],
      ['POST', '/v1/health'],
      ['PUT', '/v1/meters'],
      ['GET', '/v1/notifications'],
      ['DELETE', '/v1/dead-letters'],
    ];
    for (const [method, path] of wrong) {
      const r = await call(server.url, method, path);
      assertRefused(r, 405, new RegExp(`method ${method} is not allowed`));
      assert.ok((r.headers.get('allow') ?? '') !== '', `${method} ${path}: Allow header`);
    }
  });

  test('PUT /v1/streams/{id} with a bad body is a 400; the stream is unchanged', async () => {
    const list = await call(server.url, 'GET', '/v1/streams?limit=1');
    const stream = (list.json as { streams: { id: number; state: string }[] }).streams[0];
    assert.ok(stream, 'an earlier test created streams');
    const bodies = [
      '{broken',
      '[]',
      '{"state": "completed"}',
      '{"state": "active", "extra": 1}',
      '"active"',
      '',
    ];
    for (const body of bodies) {
      const r = await call(server.url, 'PUT', `/v1/streams/${stream.id}`, body);
      assert.ok(r.status === 400, `${JSON.stringify(body)}: ${r.status} ${r.text}`);
      assert.ok((r.json as { error: { message: string } }).error.message.length > 10);
    }
    assertRefused(
      await call(server.url, 'PUT', '/v1/streams/xyz', { state: 'active' }),
      400,
      /bad stream id/,
    );
    assertRefused(await call(server.url, 'PUT', '/v1/streams/424242', { state: 'active' }), 404, /424242/);
    const again = await call(server.url, 'GET', `/v1/streams/${stream.id}`);
    assert.equal((again.json as { state: string }).state, stream.state);
  });

  test('the process survives all of it: health is ok and it still ingests', async () => {
    const health = await call(server.url, 'GET', '/v1/health');
    assert.equal(health.status, 200, health.text);
    assert.equal((health.json as { status: string }).status, 'ok');
    assert.ok((health.json as { dead_letters: number }).dead_letters >= 20);
    const r = await call(server.url, 'POST', '/v1/notifications', [
      notification('hostile-after', 'compute.instance.create.start', 'i-after', '2014-06-11 17:00:00'),
    ]);
    assert.equal(r.status, 200, r.text);
    assert.equal((await call(server.url, 'GET', '/v1/events/hostile-after')).status, 200);
    assert.equal(server.child.exitCode, null, server.stderr());
    assert.doesNotMatch(server.stderr(), /internal error|failed \{/);
  });
});
