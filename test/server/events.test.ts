import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Instant } from '../../src/model/instant.js';
import type { ExplainEntry } from '../../src/server/backend.js';
import { HttpError } from '../../src/server/errors.js';
import type { EventJSON } from '../../src/server/json-shapes.js';
import { parseEventQuery } from '../../src/server/event-routes.js';
import { parseTraitFilter, parseTraitValue } from '../../src/server/trait-filter.js';
import { startServer, type ErrorReply, type Harness } from './harness.js';

type List = { events: EventJSON[]; next: string | null };

async function seeded(): Promise<Harness> {
  const h = await startServer();
  const add = (id: string, type: string, ts: string, traits: Record<string, unknown>) =>
    h.backend.addEvent({ message_id: id, event_type: type, timestamp: ts, received: ts, traits });
  add('a', 'compute.instance.create.start', '2014-06-11T16:00:00Z', { memory_mb: 512, host: 'h1' });
  add('b', 'compute.instance.create.end', '2014-06-11T16:01:00Z', {
    memory_mb: 4096,
    host: 'h2',
    launched_at: '2014-06-11T16:00:59.000000Z',
  });
  add('c', 'compute.instance.delete.start', '2014-06-11T17:00:00Z', { memory_mb: 8192, host: 'h1' });
  add('d', 'scheduler.run_instance.end', '2014-06-11T18:00:00Z', { code: '512' });
  add('id with/slash?', 'compute.instance.exists', '2014-06-11T19:00:00Z', {});
  return h;
}

describe('GET /v1/events', () => {
  test('lists events in the JSON shape of product.md, sorted by timestamp', async () => {
    const h = await seeded();
    const res = await h.json<List>('/v1/events');
    assert.equal(res.status, 200);
    assert.deepEqual(
      res.body.events.map((e) => e.message_id),
      ['a', 'b', 'c', 'd', 'id with/slash?'],
    );
    assert.equal(res.body.next, null);
    assert.deepEqual(res.body.events[1], {
      message_id: 'b',
      event_type: 'compute.instance.create.end',
      timestamp: '2014-06-11T16:01:00.000000Z',
      received: '2014-06-11T16:01:00.000000Z',
      traits: { memory_mb: 4096, host: 'h2', launched_at: '2014-06-11T16:00:59.000000Z' },
    });
  });

  test('type: repeatable, comma lists, globs', async () => {
    const h = await seeded();
    const ids = async (q: string) =>
      (await h.json<List>(`/v1/events?${q}`)).body.events.map((e) => e.message_id);
    assert.deepEqual(await ids('type=compute.instance.create.end'), ['b']);
    assert.deepEqual(await ids('type=compute.instance.create.*'), ['a', 'b']);
    assert.deepEqual(await ids('type=compute.instance.create.end,scheduler.*'), ['b', 'd']);
    assert.deepEqual(await ids('type=compute.instance.create.end&type=compute.instance.delete.start'), [
      'b',
      'c',
    ]);
    assert.deepEqual(h.backend.store.lastEventQuery?.types, [
      'compute.instance.create.end',
      'compute.instance.delete.start',
    ]);
  });

  test('from / to (from inclusive, to exclusive, any timestamp form)', async () => {
    const h = await seeded();
    const ids = async (q: string) =>
      (await h.json<List>(`/v1/events?${q}`)).body.events.map((e) => e.message_id);
    assert.deepEqual(await ids('from=2014-06-11T16:01:00Z&to=2014-06-11 18:00:00'), ['b', 'c']);
    assert.deepEqual(await ids(`from=${Instant.parse('2014-06-11T18:00:00Z').us / 1e6}`), [
      'd',
      'id with/slash?',
    ]);
  });

  test('trait filters with operators; numbers, datetimes and text', async () => {
    const h = await seeded();
    const ids = async (q: string) =>
      (await h.json<List>(`/v1/events?${q}`)).body.events.map((e) => e.message_id);
    assert.deepEqual(await ids('traits.memory_mb=ge:4096'), ['b', 'c']);
    assert.deepEqual(await ids('traits.memory_mb=gt:4096'), ['c']);
    assert.deepEqual(await ids('traits.memory_mb=512'), ['a']);
    assert.deepEqual(await ids('traits.memory_mb=ne:512'), ['b', 'c']);
    assert.deepEqual(await ids('traits.memory_mb=ge:1024&traits.memory_mb=lt:8192'), ['b']);
    assert.deepEqual(await ids('traits.host=h1'), ['a', 'c']);
    assert.deepEqual(await ids('traits.host=eq:h2'), ['b']);
    assert.deepEqual(await ids('traits.launched_at=lt:2014-06-11T16:01:00Z'), ['b']);
    assert.deepEqual(await ids('traits.code=512'), [], 'the number 512 is not the text "512"');
    assert.deepEqual(await ids('traits.code=%22512%22'), ['d'], 'a quoted value is text');
    assert.deepEqual(h.backend.store.lastEventQuery?.traits, [{ trait: 'code', op: 'eq', value: '512' }]);
  });

  test('paging and count', async () => {
    const h = await seeded();
    const first = await h.json<List>('/v1/events?limit=3');
    assert.deepEqual(
      first.body.events.map((e) => e.message_id),
      ['a', 'b', 'c'],
    );
    assert.notEqual(first.body.next, null);
    const rest = await h.json<List>(`/v1/events?limit=3&marker=${encodeURIComponent(first.body.next!)}`);
    assert.deepEqual(
      rest.body.events.map((e) => e.message_id),
      ['d', 'id with/slash?'],
    );
    assert.equal(rest.body.next, null);
    const count = await h.json<{ count: number }>('/v1/events?count=true&type=compute.*&limit=1');
    assert.deepEqual(count.body, { count: 4 });
    assert.equal(h.backend.store.lastEventQuery?.limit, undefined);
  });

  test('malformed queries are 400s that say what is expected', async () => {
    const h = await seeded();
    const cases: [string, RegExp][] = [
      [
        'traits.memory_mb=gte:4096',
        /"traits\.memory_mb": unknown operator "gte"; expected <op>:<value> with op one of lt, le, eq, ne, ge, gt/,
      ],
      ['traits.memory_mb=ge:', /no value after "ge:"/],
      ['traits.memory_mb=', /expected a value or <op>:<value>/],
      ['from=soon', /^bad query parameter "from": expected a timestamp/],
      ['to=2014-02-30', /"to": expected a timestamp/],
      ['from=2014-06-12&to=2014-06-11', /"to" \(2014-06-11T00:00:00.000000Z\) is before "from"/],
      ['type=a,,b', /"type": expected a comma-separated list of event types or globs without blanks/],
      ['limit=-5', /"limit": expected an integer 1\.\.1000, got "-5"/],
      ['count=yes', /"count": expected "true" or "false"/],
      [
        'state=active',
        /^unknown query parameter "state"; accepted: type, from, to, limit, marker, count, traits\.<name>$/,
      ],
    ];
    for (const [q, re] of cases) {
      const res = await h.json<ErrorReply>(`/v1/events?${q}`);
      assert.equal(res.status, 400, q);
      assert.match(res.body.error.message, re, q);
    }
    assert.equal((await h.json('/v1/health')).status, 200);
  });

  test('parseEventQuery and parseTraitFilter', () => {
    assert.deepEqual(parseEventQuery(new URLSearchParams('type=a,b&traits.x=le:1.5&limit=7')).query, {
      types: ['a', 'b'],
      traits: [{ trait: 'x', op: 'le', value: 1.5 }],
      limit: 7,
    });
    assert.deepEqual(parseTraitFilter('t', 'GT:2014-06-11'), {
      trait: 't',
      op: 'gt',
      value: Instant.parse('2014-06-11'),
    });
    assert.deepEqual(parseTraitFilter('ip', 'fe80::1'), { trait: 'ip', op: 'eq', value: 'fe80::1' });
    assert.deepEqual(parseTraitFilter('t', 'eq:abc:def'), { trait: 't', op: 'eq', value: 'abc:def' });
    assert.throws(() => parseTraitFilter('t', 'abc:def'), HttpError);
    assert.equal(parseTraitValue('-1e3'), -1000);
    assert.equal(parseTraitValue('1.2.3'), '1.2.3');
    assert.equal(parseTraitValue('2014-06-11x'), '2014-06-11x');
    assert.equal(parseTraitValue('""'), '');
  });
});

describe('/v1/events/{message_id}', () => {
  test('GET one event; ids are percent-decoded', async () => {
    const h = await seeded();
    const res = await h.json<EventJSON>('/v1/events/b');
    assert.equal(res.status, 200);
    assert.equal(res.body.event_type, 'compute.instance.create.end');
    const odd = await h.json<EventJSON>(`/v1/events/${encodeURIComponent('id with/slash?')}`);
    assert.equal(odd.status, 200);
    assert.equal(odd.body.message_id, 'id with/slash?');
  });

  test('GET of a missing event is 404; broken percent-encoding is 400', async () => {
    const h = await seeded();
    const res = await h.json('/v1/events/nope');
    assert.equal(res.status, 404);
    assert.equal(res.body.error.message, 'no event with message_id "nope" is stored');
    const bad = await h.json('/v1/events/%E0%A4%A');
    assert.equal(bad.status, 400);
    assert.match(bad.body.error.message, /not valid percent-encoding/);
  });

  test('explain: which triggers matched and why not', async () => {
    const h = await seeded();
    const entries: ExplainEntry[] = [
      {
        trigger: 'build_time',
        matched: true,
        criterion: 0,
        reason: null,
        distinguished_by: { instance_id: 'i' },
        streams: [3],
      },
      {
        trigger: 'usage',
        matched: false,
        criterion: null,
        reason: 'event_type "compute.instance.create.end" is not compute.instance.exists',
        distinguished_by: null,
        streams: [],
      },
    ];
    h.backend.explanations = entries;
    const res = await h.json<{ message_id: string; triggers: ExplainEntry[] }>('/v1/events/b/explain');
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { message_id: 'b', triggers: entries });
    const missing = await h.json('/v1/events/nope/explain');
    assert.equal(missing.status, 404);
    assert.match(missing.body.error.message, /"nope"/);
  });
});
