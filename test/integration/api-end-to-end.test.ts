import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Instant } from '../../src/model/instant.js';
import {
  call,
  generatedTraffic,
  listAll,
  postLines,
  settled,
  startServe,
  tempDir,
  type ServeProcess,
} from './serve-process.js';

/** product.md's Stream JSON, plus the retry state the server README adds. */
const STREAM_KEYS = [
  'id',
  'trigger',
  'state',
  'distinguished_by',
  'first',
  'last',
  'fire_at',
  'expire_at',
  'event_count',
  'outcome',
  'attempts',
  'last_error',
  'retry_at',
].sort();
const EVENT_KEYS = ['message_id', 'event_type', 'timestamp', 'received', 'traits'].sort();
const METER_KEYS = ['name', 'type', 'count', 'min', 'max', 'mean', 'stddev', 'p50', 'p90', 'p99'].sort();
const ISO6 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;

interface StreamJSON {
  id: number;
  trigger: string;
  state: string;
  distinguished_by: Record<string, unknown>;
  first: string;
  last: string;
  fire_at: string | null;
  expire_at: string | null;
  event_count: number;
  outcome: string | null;
}
interface EventJSON {
  message_id: string;
  event_type: string;
  timestamp: string;
  traits: Record<string, unknown>;
}
interface MeterJSON {
  name: string;
  count: number;
  min: number;
  max: number;
  mean: number;
  stddev: number;
  p50: number;
  p90: number;
  p99: number;
}

const seconds = (iso: string): number => Instant.parse(iso).us / 1e6;

describe('the HTTP API end to end with the real engine (`waymark serve --clock event`)', () => {
  const tmp = tempDir('api');
  let server: ServeProcess;
  let fired: StreamJSON[] = [];
  const events = new Map<number, EventJSON[]>();

  before(async () => {
    server = await startServe(tmp.store, tmp.dir);
    const { lines } = generatedTraffic(7);
    await postLines(server.url, lines);
    await settled(server.url);
  });
  after(async () => {
    await server.stop();
    tmp.remove();
  });

  test('GET /v1/streams?trigger=build_time&state=completed: the Stream JSON shape, every one fired or expired', async () => {
    const streams = await listAll<StreamJSON>(
      server.url,
      '/v1/streams?trigger=build_time&state=completed',
      'streams',
    );
    assert.ok(streams.length > 100, `completed build_time streams: ${streams.length}`);
    for (const s of streams) {
      assert.deepEqual(Object.keys(s).sort(), STREAM_KEYS);
      assert.equal(s.trigger, 'build_time');
      assert.equal(s.state, 'completed');
      assert.ok(s.outcome === 'fired' || s.outcome === 'expired', JSON.stringify(s));
      assert.deepEqual(Object.keys(s.distinguished_by), ['instance_id']);
      assert.match(s.first, ISO6);
      assert.match(s.last, ISO6);
      assert.ok(s.first <= s.last);
      assert.ok(Number.isInteger(s.event_count) && s.event_count >= 1);
    }
    fired = streams.filter((s) => s.outcome === 'fired');
    assert.ok(fired.length > 100);
  });

  test('GET /v1/streams/{id}: the stream plus its events sorted by timestamp', async () => {
    for (const s of fired) {
      const r = await call(server.url, 'GET', `/v1/streams/${s.id}`);
      assert.equal(r.status, 200, r.text);
      const body = r.json as StreamJSON & { events: EventJSON[] };
      const { events: evs, ...stream } = body;
      assert.deepEqual(stream, s);
      assert.equal(evs.length, s.event_count);
      for (const e of evs) {
        assert.deepEqual(Object.keys(e).sort(), EVENT_KEYS);
        assert.match(e.timestamp, ISO6);
        assert.equal(e.traits['instance_id'], s.distinguished_by['instance_id']);
        assert.match(e.event_type, /^compute\.instance\.create\./);
      }
      const times = evs.map((e) => e.timestamp);
      assert.deepEqual(times, [...times].sort(), `stream ${s.id}: events sorted by timestamp`);
      assert.equal(times[0], s.first);
      assert.equal(times[times.length - 1], s.last);
      events.set(s.id, evs);
    }
  });

  test('GET /v1/meters: build_seconds agrees with the create.start/.end times of the fired streams', async () => {
    const r = await call(server.url, 'GET', '/v1/meters');
    assert.equal(r.status, 200, r.text);
    const meters = (r.json as { meters: MeterJSON[] }).meters;
    for (const m of meters) assert.deepEqual(Object.keys(m).sort(), METER_KEYS);
    const m = meters.find((x) => x.name === 'build_seconds');
    assert.ok(m, JSON.stringify(meters.map((x) => x.name)));

    // The meter handler's defaults: the first start event, the last end event.
    const durations = fired.map((s) => {
      const evs = events.get(s.id) ?? [];
      const start = evs.find((e) => e.event_type === 'compute.instance.create.start');
      const end = evs.filter((e) => e.event_type === 'compute.instance.create.end').pop();
      assert.ok(start && end, `stream ${s.id} fired with a start and an end`);
      return seconds(end.timestamp) - seconds(start.timestamp);
    });
    const mean = durations.reduce((a, b) => a + b, 0) / durations.length;
    const variance = durations.reduce((a, d) => a + (d - mean) ** 2, 0) / durations.length;
    assert.equal(m.count, durations.length);
    assert.ok(Math.abs(m.min - Math.min(...durations)) < 1e-6, `min ${m.min}`);
    assert.ok(Math.abs(m.max - Math.max(...durations)) < 1e-6, `max ${m.max}`);
    assert.ok(Math.abs(m.mean - mean) < 1e-6, `mean ${m.mean} vs ${mean}`);
    assert.ok(Math.abs(m.stddev - Math.sqrt(variance)) < 1e-3, `stddev ${m.stddev}`);
    assert.ok(m.min <= m.p50 && m.p50 <= m.p90 && m.p90 <= m.p99 && m.p99 <= m.max * 1.01);
  });

  test('GET /v1/events/{id}/explain: matched for build_time on a create.start; names the failing condition for an update', async () => {
    const start = await call(server.url, 'GET', '/v1/events?type=compute.instance.create.start&limit=1');
    const startEvent = (start.json as { events: EventJSON[] }).events[0];
    assert.ok(startEvent);
    const r = await call(
      server.url,
      'GET',
      `/v1/events/${encodeURIComponent(startEvent.message_id)}/explain`,
    );
    assert.equal(r.status, 200, r.text);
    const body = r.json as {
      message_id: string;
      triggers: {
        trigger: string;
        matched: boolean;
        reason: string | null;
        streams: number[];
        distinguished_by: unknown;
      }[];
    };
    assert.equal(body.message_id, startEvent.message_id);
    const bt = body.triggers.find((t) => t.trigger === 'build_time');
    assert.ok(bt);
    assert.equal(bt.matched, true);
    assert.deepEqual(bt.distinguished_by, { instance_id: startEvent.traits['instance_id'] });
    assert.equal(bt.streams.length, 1);

    const update = await call(server.url, 'GET', '/v1/events?type=compute.instance.update&limit=1');
    const updateEvent = (update.json as { events: EventJSON[] }).events[0];
    assert.ok(updateEvent, 'the generated traffic has compute.instance.update');
    const u = await call(
      server.url,
      'GET',
      `/v1/events/${encodeURIComponent(updateEvent.message_id)}/explain`,
    );
    assert.equal(u.status, 200, u.text);
    const ubt = (u.json as typeof body).triggers.find((t) => t.trigger === 'build_time');
    assert.ok(ubt);
    assert.equal(ubt.matched, false);
    assert.match(ubt.reason ?? '', /event_type/);
    assert.match(ubt.reason ?? '', /compute\.instance\.create\.\*/);
    assert.deepEqual(ubt.streams, []);
  });

  test('PUT reset and DELETE of a stream', async () => {
    const [a, b] = fired;
    assert.ok(a && b);
    const builds = async (): Promise<number | undefined> =>
      ((await call(server.url, 'GET', '/v1/meters')).json as { meters: MeterJSON[] }).meters.find(
        (m) => m.name === 'build_seconds',
      )?.count;
    const before = await builds();
    const reset = await call(server.url, 'PUT', `/v1/streams/${a.id}`, { state: 'active' });
    assert.equal(reset.status, 200, reset.text);
    const rs = reset.json as StreamJSON;
    assert.equal(rs.id, a.id);
    // build_time's pipeline is pure (a meter): the re-run commits with the reset, a new fire.
    assert.deepEqual([rs.state, rs.outcome], ['completed', 'fired']);
    assert.equal(rs.event_count, a.event_count);
    assert.equal(await builds(), (before ?? 0) + 1, 'the meter ran once more');

    const del = await call(server.url, 'DELETE', `/v1/streams/${b.id}`);
    assert.equal(del.status, 204, del.text);
    assert.equal((await call(server.url, 'GET', `/v1/streams/${b.id}`)).status, 404);
    assert.equal((await call(server.url, 'DELETE', `/v1/streams/${b.id}`)).status, 404);
    // The events stay.
    const first = events.get(b.id)?.[0];
    assert.ok(first);
    assert.equal(
      (await call(server.url, 'GET', `/v1/events/${encodeURIComponent(first.message_id)}`)).status,
      200,
    );
  });

  test('GET /metrics on the same server has the engine counters', async () => {
    const r = await call(server.url, 'GET', '/metrics');
    assert.equal(r.status, 200, r.text);
    assert.match(r.headers.get('content-type') ?? '', /text\/plain/);
    const value = (name: string): number => {
      const m = new RegExp(
        `^(\\S*${name.replace('.', '[._]')}(?:_total)?)(?:\\{[^}]*\\})? (\\S+)$`,
        'm',
      ).exec(r.text);
      assert.ok(m, `${name} in /metrics:\n${r.text.slice(0, 2000)}`);
      return Number(m[2]);
    };
    assert.ok(value('events_in') > 0);
    assert.ok(value('fired') >= fired.length, 'fired');
    for (const name of ['duplicates', 'dead_letters', 'expired', 'pipeline_errors']) {
      assert.ok(value(name) >= 0, name);
    }
    assert.equal(value('pipeline_errors'), 0);
  });
});
