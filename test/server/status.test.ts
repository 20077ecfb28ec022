import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { MeterJSON } from '../../src/server/backend.js';
import type { DeadLetterJSON } from '../../src/server/json-shapes.js';
import { startServer } from './harness.js';

describe('GET /v1/meters, /v1/health, /v1/dead-letters', () => {
  test('meters', async () => {
    const h = await startServer();
    const meters: MeterJSON[] = [
      {
        name: 'build_seconds',
        type: 'meter',
        count: 3,
        min: 40,
        max: 60,
        mean: 50,
        stddev: 8.16,
        p50: 50,
        p90: 58,
        p99: 59.8,
      },
      {
        name: 'build_failures',
        type: 'counter',
        count: 2,
        min: null,
        max: null,
        mean: null,
        stddev: null,
        p50: null,
        p90: null,
        p99: null,
      },
    ];
    h.backend.meterList = meters;
    const res = await h.json<{ meters: MeterJSON[] }>('/v1/meters');
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { meters });
  });

  test('health: 200 when ok, 503 with the same body otherwise', async () => {
    const h = await startServer();
    h.backend.healthBody = { status: 'ok', store: 'fake', streams_open: 3 };
    const ok = await h.json<Record<string, unknown>>('/v1/health');
    assert.equal(ok.status, 200);
    assert.deepEqual(ok.body, { status: 'ok', store: 'fake', streams_open: 3 });
    h.backend.healthBody = { status: 'degraded', reason: 'store unreachable' };
    const bad = await h.json<Record<string, unknown>>('/v1/health');
    assert.equal(bad.status, 503);
    assert.deepEqual(bad.body, { status: 'degraded', reason: 'store unreachable' });
  });

  test('dead letters, newest first, with limit and the total count', async () => {
    const h = await startServer();
    await h.fetch('/v1/notifications', {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body: 'one\ntwo\nthree\n',
    });
    const res = await h.json<{ dead_letters: DeadLetterJSON[]; count: number }>('/v1/dead-letters?limit=2');
    assert.equal(res.status, 200);
    assert.equal(res.body.count, 3);
    assert.deepEqual(
      res.body.dead_letters.map((d) => [d.payload, d.reason, d.source]),
      [
        ['three', 'line 3: not JSON (' + jsonError('three') + ')', 'http'],
        ['two', 'line 2: not JSON (' + jsonError('two') + ')', 'http'],
      ],
    );
    assert.match(res.body.dead_letters[0]!.received, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    assert.equal((await h.json('/v1/dead-letters?limit=0')).status, 400);
    assert.equal((await h.json('/v1/dead-letters?max=3')).status, 400);
    assert.equal((await h.json('/v1/meters?x=1')).status, 400);
  });
});

function jsonError(text: string): string {
  try {
    JSON.parse(text);
    return '';
  } catch (err) {
    return (err as Error).message;
  }
}
