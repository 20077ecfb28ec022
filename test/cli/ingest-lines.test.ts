import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { distilledLines, type IngestLinesOptions, type LinesResult } from '../../src/cli/ingest-lines.js';
import { BUNDLED_CONFIG_FILES } from '../../src/config/waymark-config.js';
import { Distiller } from '../../src/distill/distiller.js';
import { EventGenerator } from '../../src/generate/event-generator.js';
import { openstackScenario } from '../../src/generate/openstack/openstack-scenario.js';
import { takeTraitsJSON, type WaymarkEvent } from '../../src/model/event.js';
import { Instant } from '../../src/model/instant.js';

const OPTIONS: IngestLinesOptions = {
  distillerFiles: BUNDLED_CONFIG_FILES.distiller,
  catchAll: false,
  eventsMode: undefined,
};

/** Generated OpenStack notifications as JSON lines (they carry their simulated receive time). */
function corpus(count: number): string {
  const gen = new EventGenerator({ scenario: openstackScenario(), opsPerHour: 3600, count, seed: 7 });
  let text = '';
  for (const g of gen) text += g.line + '\n';
  return text;
}

/** `text`'s bytes in chunks of `size` bytes (cuts fall inside lines and characters). */
function chunks(text: string, size: number): Readable {
  const bytes = Buffer.from(text, 'utf8');
  const out: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
  return Readable.from(out, { objectMode: true });
}

async function readAll(input: Readable, options = OPTIONS): Promise<LinesResult[]> {
  const out: LinesResult[] = [];
  for await (const r of distilledLines(input, 'test input', options)) out.push(r);
  return out;
}

/**
 * An event as its JSON shape plus which traits are datetimes: what must survive the crossing.
 * Without `received`: these notifications carry no simulated receive time, so it is when each
 * side distilled them.
 */
function shape(e: WaymarkEvent): string {
  const kinds = Object.entries(e.traits).map(
    ([k, v]) => `${k}:${v instanceof Instant ? 'datetime' : typeof v}`,
  );
  return JSON.stringify({ ...e, received: undefined }) + ' ' + kinds.join(',');
}

/** The first event that differs (a whole-array deepEqual would print thousands of events). */
function firstDifference(
  actual: readonly WaymarkEvent[],
  expected: readonly WaymarkEvent[],
): string | undefined {
  for (let i = 0; i < Math.max(actual.length, expected.length); i++) {
    const a = actual[i] === undefined ? 'nothing' : shape(actual[i] as WaymarkEvent);
    const b = expected[i] === undefined ? 'nothing' : shape(expected[i] as WaymarkEvent);
    if (a !== b) return `event ${i}: got ${a}, expected ${b}`;
  }
  return undefined;
}

test('distilledLines: the worker gives the events the distiller gives in this thread, in order, whatever the chunk boundaries', async () => {
  const text = corpus(3000);
  const distiller = Distiller.load(OPTIONS.distillerFiles);
  const expected = text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const r = distiller.distillLine(l);
      assert.equal(r.status, 'event');
      return r.status === 'event' ? r.event : undefined;
    }) as WaymarkEvent[];
  assert.ok(expected.some((e) => Object.values(e.traits).some((v) => v instanceof Instant)));
  for (const size of [1 << 20, 4096, 777]) {
    const results = await readAll(chunks(text, size));
    const events = results.flatMap((r) => r.events);
    assert.equal(events.length, expected.length, `chunks of ${size} bytes`);
    assert.equal(firstDifference(events, expected), undefined, `chunks of ${size} bytes`);
    for (const e of events) assert.ok(e.received instanceof Instant);
    assert.equal(
      results.reduce((n, r) => n + r.lines, 0),
      expected.length,
    );
    // The store's traits text comes over with the event and is what JSON.stringify makes.
    for (const e of events.slice(0, 200)) assert.equal(takeTraitsJSON(e), JSON.stringify(e.traits));
  }
});

test('distilledLines: bad lines come back with their line numbers (blank lines counted, not reported) and the reason; lines without a definition are counted', async () => {
  const good = corpus(3)
    .split('\n')
    .filter((l) => l !== '');
  const text = [
    good[0],
    '',
    '{not json',
    '{"event_type":"x.y","timestamp":"2014-06-11 16:09:41"}',
    '   ',
    JSON.stringify({ event_type: 'nobody.defines.this', message_id: 'n1', timestamp: '2014-06-11 16:09:41' }),
    '[1,2]',
    good[1],
    good[2],
  ].join('\r\n'); // CRLF, and no line end after the last line
  const results = await readAll(chunks(text, 5));
  const bad = results.flatMap((r) => r.bad);
  assert.deepEqual(
    bad.map((b) => b.line),
    [3, 4, 7],
  );
  assert.match(bad[0]?.reason ?? '', /^line 3: not JSON/);
  assert.match(bad[1]?.reason ?? '', /^line 4: missing "message_id"/);
  assert.match(bad[2]?.reason ?? '', /^line 7: expected a JSON object/);
  assert.equal(bad[0]?.payload, '{not json');
  assert.equal(
    results.reduce((n, r) => n + r.noDefinition, 0),
    1,
  );
  assert.equal(
    results.reduce((n, r) => n + r.lines, 0),
    7,
  );
  assert.equal(results.flatMap((r) => r.events).length, 3);
});

test('distilledLines: distilled events are read as events (by the first line, or when told), bad ones reported', async () => {
  const event = {
    message_id: 'e1',
    event_type: 'compute.instance.create.end',
    timestamp: '2014-06-11T16:09:41.123456Z',
    received: '2014-06-11T16:09:42.000000Z',
    traits: { instance_id: 'i-1', launched_at: '2014-06-11T16:09:40.000001Z', memory_mb: 512 },
  };
  const text = `${JSON.stringify(event)}\n{"message_id":"e2"}\n`;
  const results = await readAll(chunks(text, 16));
  const events = results.flatMap((r) => r.events);
  assert.equal(events.length, 1);
  assert.equal(JSON.stringify(events[0]), JSON.stringify(event));
  assert.ok(events[0]?.traits['launched_at'] instanceof Instant);
  assert.match(
    results.flatMap((r) => r.bad)[0]?.reason ?? '',
    /^line 2: event: "timestamp" must be a timestamp/,
  );

  // Told: a first line that looks like a notification is still read as an event (and fails as one).
  const told = await readAll(chunks('{"event_type":"a","payload":{}}\n', 8), {
    ...OPTIONS,
    eventsMode: true,
  });
  assert.match(told.flatMap((r) => r.bad)[0]?.reason ?? '', /^line 1: event: "timestamp"/);
});

test('distilledLines: a read error is an error naming the input; stopping early stops the worker', async () => {
  const failing = new Readable({
    read() {
      this.destroy(new Error('disk on fire'));
    },
  });
  await assert.rejects(readAll(failing), /cannot read input test input: disk on fire/);

  // Read-ahead is bounded: a consumer that takes one result and stops has not pulled the whole input.
  const text = corpus(2000);
  let pulled = 0;
  const total = Math.ceil(Buffer.byteLength(text) / 2048);
  function* pieces(): Generator<Buffer> {
    const bytes = Buffer.from(text);
    for (let i = 0; i < bytes.length; i += 2048) {
      pulled++;
      yield bytes.subarray(i, i + 2048);
    }
  }
  const input = Readable.from(pieces(), { objectMode: true, highWaterMark: 1 });
  for await (const r of distilledLines(input, 'test input', OPTIONS)) {
    assert.ok(r.lines >= 0);
    await new Promise((resolve) => setTimeout(resolve, 300));
    break;
  }
  assert.ok(total > 100, `the input is ${total} chunks`);
  assert.ok(pulled < 20, `only a few chunks read ahead of the consumer, not ${pulled} of ${total}`);
});

test('distilledLines: a failure inside the worker (here, definitions it cannot load) is an error, not a hang', async () => {
  const options = { ...OPTIONS, distillerFiles: ['/nonexistent/waymark-definitions.yaml'] };
  await assert.rejects(
    readAll(chunks('{"event_type":"a"}\n', 8), options),
    /^WaymarkError: ingest: .*nonexistent\/waymark-definitions\.yaml/,
  );
});
