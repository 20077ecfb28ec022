import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { Distiller } from '../../src/distill/distiller.js';
import { defaultWaymarkConfig } from '../../src/config/waymark-config.js';
import { Instant } from '../../src/model/instant.js';
import type { WaymarkEvent } from '../../src/model/event.js';
import { LineDistiller, postEvent, receiveEvent } from '../../src/cli/ingest-lines.js';
import { distilledChunks } from '../../src/cli/ingest-reader.js';

const DEFS = `
- event_type: compute.instance.*
  traits:
    instance_id: {fields: payload.instance_id}
    launched_at: {type: datetime, fields: payload.launched_at}
    memory_mb: {type: int, fields: payload.memory_mb}
`;

function notification(i: number, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    message_id: `m-${i}`,
    event_type: 'compute.instance.create.end',
    timestamp: `2026-01-01 00:00:${String(i % 60).padStart(2, '0')}.123456`,
    payload: { instance_id: `i-${i}`, launched_at: '2026-01-01T00:00:00.654321Z', memory_mb: 512, ...extra },
  });
}

test('posted events cross threads intact: instants to the microsecond, datetime traits as Instants, text and numbers', () => {
  const e: WaymarkEvent = {
    message_id: 'm',
    event_type: 't',
    timestamp: Instant.parse('2026-01-01T00:00:00.000001Z'),
    received: Instant.parse('2026-01-01T00:00:01.999999Z'),
    traits: { a: 'text', n: 1.5, at: Instant.parse('1969-12-31T23:59:59.999999Z') },
  };
  const posted = structuredClone(postEvent(e));
  const back = receiveEvent(posted);
  assert.equal(back.timestamp.us, e.timestamp.us);
  assert.equal(back.received.us, e.received.us);
  assert.ok(back.traits['at'] instanceof Instant);
  assert.equal(back.traits['at'].us, (e.traits['at'] as Instant).us);
  assert.deepEqual({ a: back.traits['a'], n: back.traits['n'] }, { a: 'text', n: 1.5 });
  assert.ok(e.traits['at'] instanceof Instant, 'posting leaves the original event as it was');
});

test('LineDistiller: lines split across chunks (and inside a UTF-8 character), blank lines skipped, bad lines with their line numbers', () => {
  const work = new LineDistiller(Distiller.fromText(DEFS), undefined);
  const text = [notification(1, { name: 'café ☕' }), '', 'not json', notification(2), '{"no": "type"}'].join(
    '\r\n',
  );
  const bytes = new TextEncoder().encode(text);
  const cut = text.indexOf('☕') + 1; // a byte offset inside the 3-byte character (the é before it is 2 bytes)
  const results = [work.push(bytes.subarray(0, cut)), work.push(bytes.subarray(cut)), work.end()];
  assert.equal(results.at(-1)?.done, true);
  const events = results.flatMap((r) => r.events.map(receiveEvent));
  assert.deepEqual(
    events.map((e) => e.message_id),
    ['m-1', 'm-2'],
  );
  assert.equal(events[0]?.traits['instance_id'], 'i-1');
  assert.equal(events[0]?.traits['memory_mb'], 512);
  assert.ok(events[0]?.traits['launched_at'] instanceof Instant);
  const dead = results.flatMap((r) => r.dead);
  assert.deepEqual(
    dead.map((d) => d.line),
    [3, 5],
  );
  assert.match(dead[0]?.reason ?? '', /^line 3: not JSON/);
  assert.equal(dead[0]?.payload, 'not json');
  assert.equal(
    results.reduce((n, r) => n + r.lines, 0),
    4,
  );
});

test('LineDistiller: the first line decides between notifications and distilled events; unknown types are counted', () => {
  const work = new LineDistiller(Distiller.fromText(DEFS), undefined);
  const ev = JSON.stringify({
    message_id: 'e1',
    event_type: 'x',
    timestamp: '2026-01-01T00:00:00Z',
    traits: { k: 1 },
  });
  const r = work.push(`${ev}\n{"message_id": "x", "event_type": "y"}\n`);
  assert.deepEqual(
    r.events.map((e) => e.m),
    ['e1'],
  );
  assert.equal(r.dead.length, 1, 'an event without a timestamp is a dead letter');
  assert.match(r.dead[0]?.reason ?? '', /^line 2: .*timestamp/);

  const n = new LineDistiller(Distiller.fromText(DEFS), undefined);
  const other = JSON.stringify({
    message_id: 'o',
    event_type: 'image.upload',
    timestamp: '2026-01-01T00:00:00Z',
  });
  const out = n.push(`${notification(4)}\n${other}\n`);
  assert.equal(out.events.length, 1);
  assert.equal(out.noDefinition, 1);
});

test('distilledChunks: a worker thread distills a stream of bytes in order, with the bundled definitions', async () => {
  const lines = Array.from({ length: 3000 }, (_, i) => notification(i));
  const bytes = Buffer.from(lines.join('\n') + '\n');
  // Small chunks, so that many are in flight and order matters.
  const chunks = Array.from({ length: Math.ceil(bytes.length / 4096) }, (_, i) =>
    bytes.subarray(i * 4096, (i + 1) * 4096),
  );
  const config = defaultWaymarkConfig();
  const ids: string[] = [];
  let done = 0;
  for await (const r of distilledChunks(Readable.from(chunks), 'test', {
    distillerFiles: config.distillerFiles,
    catchAll: config.catchAll,
    eventsMode: undefined,
  })) {
    for (const p of r.events) ids.push(receiveEvent(p).message_id);
    if (r.done) done++;
  }
  assert.equal(done, 1);
  assert.deepEqual(
    ids,
    lines.map((_, i) => `m-${i}`),
  );
});
