import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Instant } from '../../src/model/instant.js';
import { TimeRange } from '../../src/timex/index.js';
import type { StreamJSON, EventJSON } from '../../src/server/json-shapes.js';
import { parseStreamQuery } from '../../src/server/stream-routes.js';
import { post, startServer, type ErrorReply, type Harness } from './harness.js';

type List = { streams: StreamJSON[]; next: string | null };

const T = (s: string) => Instant.parse(s);

/** Streams 1..5: 1-2 active build_time, 3 ready, 4 error, 5 completed usage by day. */
async function seeded(): Promise<Harness> {
  const h = await startServer();
  const b = h.backend;
  b.addEvent({
    message_id: 'm2',
    event_type: 'compute.instance.create.end',
    timestamp: '2014-06-11T16:01:00Z',
  });
  b.addEvent({
    message_id: 'm1',
    event_type: 'compute.instance.create.start',
    timestamp: '2014-06-11T16:00:00Z',
  });
  b.addStream({ id: 1 }, ['m2', 'm1']);
  b.addStream({ id: 2, distinguishedBy: { instance_id: 'inst-x', memory_mb: 512 } });
  b.addStream({ id: 3, state: 'ready', fireAt: T('2014-06-11T16:05:00Z') });
  b.addStream({
    id: 4,
    state: 'error',
    attempts: 2,
    lastError: 'webhook: 500',
    retryAt: T('2014-06-11T17:00:00Z'),
  });
  b.addStream({
    id: 5,
    trigger: 'usage',
    state: 'completed',
    outcome: 'fired',
    distinguishedBy: {
      instance_id: 'inst-5',
      audit: new TimeRange(T('2014-06-10T00:00:00Z'), T('2014-06-11T00:00:00Z')),
    },
  });
  return h;
}

describe('GET /v1/streams', () => {
  test('lists streams in the JSON shape of product.md (plus retry fields)', async () => {
    const h = await seeded();
    const res = await h.json<List>('/v1/streams');
    assert.equal(res.status, 200);
    assert.deepEqual(
      res.body.streams.map((s) => s.id),
      [1, 2, 3, 4, 5],
    );
    assert.equal(res.body.next, null);
    assert.deepEqual(res.body.streams[0], {
      id: 1,
      trigger: 'build_time',
      state: 'active',
      distinguished_by: { instance_id: 'inst-1' },
      first: '2014-06-11T16:00:00.000000Z',
      last: '2014-06-11T16:00:01.000000Z',
      fire_at: null,
      expire_at: '2014-06-11T20:00:00.000000Z',
      event_count: 2,
      outcome: null,
      attempts: 0,
      last_error: null,
      retry_at: null,
    });
    assert.deepEqual(res.body.streams[3]!.last_error, 'webhook: 500');
    assert.deepEqual(res.body.streams[3]!.retry_at, '2014-06-11T17:00:00.000000Z');
    assert.deepEqual(res.body.streams[4]!.distinguished_by, {
      instance_id: 'inst-5',
      audit: { begin: '2014-06-10T00:00:00.000000Z', end: '2014-06-11T00:00:00.000000Z' },
    });
    assert.equal(res.body.streams[4]!.outcome, 'fired');
  });

  test('filters: state list, trigger, distinguishing traits, older_than / younger_than', async () => {
    const h = await seeded();
    const ids = async (q: string) => (await h.json<List>(`/v1/streams?${q}`)).body.streams.map((s) => s.id);
    assert.deepEqual(await ids('state=ready,error'), [3, 4]);
    assert.deepEqual(await ids('state=ready&state=completed'), [3, 5]);
    assert.deepEqual(await ids('trigger=usage'), [5]);
    assert.deepEqual(await ids('traits.instance_id=inst-x'), [2]);
    assert.deepEqual(await ids('distinguished_by.memory_mb=512'), [2]);
    assert.deepEqual(await ids('distinguished_by.instance_id=inst-x&traits.memory_mb=513'), []);
    assert.deepEqual(await ids('older_than=2014-06-11T16:00:03Z'), [1, 2]);
    assert.deepEqual(await ids('younger_than=2014-06-11 16:00:04'), [4, 5]);
    assert.deepEqual(
      await ids(
        `older_than=${Instant.parse('2014-06-11T16:00:04Z').us / 1e6}&younger_than=2014-06-11T16:00:02Z`,
      ),
      [2, 3],
    );
  });

  test('paging with limit and marker', async () => {
    const h = await seeded();
    const first = await h.json<List>('/v1/streams?limit=2');
    assert.deepEqual(
      first.body.streams.map((s) => s.id),
      [1, 2],
    );
    assert.equal(typeof first.body.next, 'string');
    const second = await h.json<List>(`/v1/streams?limit=2&marker=${encodeURIComponent(first.body.next!)}`);
    assert.deepEqual(
      second.body.streams.map((s) => s.id),
      [3, 4],
    );
    const third = await h.json<List>(`/v1/streams?limit=2&marker=${encodeURIComponent(second.body.next!)}`);
    assert.deepEqual(
      third.body.streams.map((s) => s.id),
      [5],
    );
    assert.equal(third.body.next, null);
  });

  test('count=true answers {count} for the filter, without paging', async () => {
    const h = await seeded();
    const res = await h.json<{ count: number }>('/v1/streams?count=true&state=active,ready&limit=1');
    assert.deepEqual(res.body, { count: 3 });
    assert.equal(h.backend.store.lastStreamQuery?.limit, undefined);
  });

  test('parseStreamQuery builds the StreamQuery', () => {
    const { query, count } = parseStreamQuery(
      new URLSearchParams('state=active&trigger=t&traits.a=1&older_than=2014-06-11&limit=5&marker=m'),
    );
    assert.equal(count, false);
    assert.deepEqual(query, {
      states: ['active'],
      trigger: 't',
      distinguishedBy: { a: '1' },
      olderThan: Instant.parse('2014-06-11'),
      limit: 5,
      marker: 'm',
    });
    assert.deepEqual(parseStreamQuery(new URLSearchParams('')).query, { limit: 100 });
  });

  test('malformed queries are 400s that say what is expected', async () => {
    const h = await seeded();
    const cases: [string, RegExp][] = [
      ['limit=abc', /^bad query parameter "limit": expected an integer 1\.\.1000, got "abc"$/],
      ['limit=0', /"limit": expected an integer 1\.\.1000, got "0"/],
      ['limit=1001', /got "1001"/],
      ['limit=1.5', /got "1.5"/],
      ['limit=1&limit=2', /"limit": given 2 times, expected once/],
      [
        'state=active,bogus',
        /unknown state "bogus"; expected a comma-separated list of active, ready, firing, expiring, completed, error, expire_error/,
      ],
      ['state=', /"state": expected a comma-separated list of stream states without blanks/],
      ['older_than=yesterday', /"older_than": expected a timestamp such as/],
      ['younger_than=2014-13-01', /"younger_than": expected a timestamp/],
      ['count=maybe', /"count": expected "true" or "false", got "maybe"/],
      [
        'colour=red',
        /^unknown query parameter "colour"; accepted: state, trigger, .*traits\.<name>, distinguished_by\.<name>$/,
      ],
      ['traits.=x', /expected a name after "traits\."/],
      ['traits.a=1&distinguished_by.a=2', /"a" is given more than once/],
      ['marker=', /"marker": expected a non-empty value/],
      ['trigger=', /"trigger": expected a trigger name/],
    ];
    for (const [q, re] of cases) {
      const res = await h.json<ErrorReply>(`/v1/streams?${q}`);
      assert.equal(res.status, 400, q);
      assert.equal(res.body.error.status, 400);
      assert.match(res.body.error.message, re, q);
    }
    assert.equal((await h.json('/v1/health')).status, 200);
  });
});

describe('/v1/streams/{id}', () => {
  test('GET gives the stream with its events, sorted', async () => {
    const h = await seeded();
    const res = await h.json<StreamJSON & { events: EventJSON[] }>('/v1/streams/1');
    assert.equal(res.status, 200);
    assert.equal(res.body.id, 1);
    assert.equal(res.body.trigger, 'build_time');
    assert.deepEqual(
      res.body.events.map((e) => e.message_id),
      ['m1', 'm2'],
    );
    assert.deepEqual(res.body.events[0], {
      message_id: 'm1',
      event_type: 'compute.instance.create.start',
      timestamp: '2014-06-11T16:00:00.000000Z',
      received: '2014-06-11T16:00:00.000000Z',
      traits: {},
    });
  });

  test('GET of a missing stream is 404, of a bad id 400', async () => {
    const h = await seeded();
    const missing = await h.json('/v1/streams/99');
    assert.equal(missing.status, 404);
    assert.match(missing.body.error.message, /^no stream 99/);
    for (const bad of ['abc', '0', '-1', '1.5', '99999999999999999999']) {
      const res = await h.json(`/v1/streams/${bad}`);
      assert.equal(res.status, 400, bad);
      assert.match(res.body.error.message, /expected a positive integer/);
    }
    assert.equal((await h.json('/v1/streams/1?verbose=1')).status, 400);
  });

  test('DELETE: 204, then the stream is gone; 404 for a missing one', async () => {
    const h = await seeded();
    const res = await h.fetch('/v1/streams/2', { method: 'DELETE' });
    assert.equal(res.status, 204);
    assert.equal(await res.text(), '');
    assert.deepEqual(h.backend.deleted, [2]);
    assert.equal((await h.json('/v1/streams/2')).status, 404);
    const again = await h.json('/v1/streams/2', { method: 'DELETE' });
    assert.equal(again.status, 404);
    assert.equal(again.body.error.status, 404);
  });

  test('PUT {"state": "active"} resets the stream and answers with it', async () => {
    const h = await seeded();
    const res = await h.json<StreamJSON>(
      '/v1/streams/4',
      post({ state: 'active' }, 'application/json', 'PUT'),
    );
    assert.equal(res.status, 200);
    assert.deepEqual(h.backend.reset, [4]);
    assert.equal(res.body.id, 4);
    assert.equal(res.body.state, 'active');
    assert.equal(res.body.last_error, null);
    const missing = await h.json('/v1/streams/77', post({ state: 'active' }, undefined, 'PUT'));
    assert.equal(missing.status, 404);
  });

  test('PUT with any other body is a 400 and changes nothing', async () => {
    const h = await seeded();
    const bodies: unknown[] = [
      { state: 'ready' },
      { state: 'active', attempts: 0 },
      { State: 'active' },
      ['active'],
      'active',
      '{"state": "active"',
      '',
      null,
    ];
    for (const body of bodies) {
      const res = await h.json(
        '/v1/streams/4',
        post(body === null ? 'null' : body, 'application/json', 'PUT'),
      );
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.match(res.body.error.message, /expected the body \{"state": "active"\}/);
    }
    assert.deepEqual(h.backend.reset, []);
    assert.equal(h.backend.store.streams.get(4)?.state, 'error');
  });
});
