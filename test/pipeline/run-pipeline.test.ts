import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { WaymarkEvent } from '../../src/model/event.js';
import { Instant } from '../../src/model/instant.js';
import type { HandlerContext } from '../../src/pipeline/handler.js';
import { derivedMessageId } from '../../src/pipeline/derived-message-id.js';
import { PipelineAbortError, PipelineMisuseError } from '../../src/pipeline/pipeline-error.js';
import { runPipeline, type PipelineRunResult } from '../../src/pipeline/run-pipeline.js';
import { ev, MemoryLog, pipeline, probe, streamRef } from './helpers.js';

function committed(r: PipelineRunResult): Extract<PipelineRunResult, { status: 'committed' }> {
  assert.equal(r.status, 'committed', r.status === 'error' ? `${r.handler} ${r.phase}: ${r.error}` : '');
  return r;
}

function failed(r: PipelineRunResult): Extract<PipelineRunResult, { status: 'error' }> {
  assert.equal(r.status, 'error');
  return r;
}

const EVENTS = [
  ev('c', '2014-06-11T16:00:03Z', {}, 'id-c'),
  ev('a', '2014-06-11T16:00:01Z', {}, 'id-a2'),
  ev('b', '2014-06-11T16:00:02Z', {}, 'id-b'),
  ev('a0', '2014-06-11T16:00:01Z', {}, 'id-a1'),
];

test('handlers run in order over sorted events, share env, each gets the previous output, then commit in order', async () => {
  const journal: string[] = [];
  const seen: string[][] = [];
  const extra = ev('added', '2014-06-11T17:00:00Z');
  const def = pipeline([
    {
      spec: probe('one', journal, {
        add: [extra],
        onHandle: (_e, env) => {
          env['from_one'] = 1;
        },
      }),
    },
    {
      spec: probe('two', journal, {
        onHandle: (events, env) => {
          seen.push(events.map((e) => e.message_id));
          env['from_two'] = (env['from_one'] as number) + 1;
        },
      }),
    },
  ]);
  const r = committed(await runPipeline(def, EVENTS, { stream: streamRef({ id: 7 }), log: new MemoryLog() }));
  assert.deepEqual(journal, [
    'one:create',
    'two:create',
    'one:handle(a0,a,b,c)',
    'two:handle(a0,a,b,c,added)',
    'one:commit',
    'two:commit',
  ]);
  // Same timestamp: message_id breaks the tie.
  assert.deepEqual(seen[0], ['id-a1', 'id-a2', 'id-b', 'id-c', extra.message_id]);
  assert.deepEqual(r.env, { stream_id: 7, from_one: 1, from_two: 2 });
  assert.deepEqual(r.samples, []);
  assert.deepEqual(r.emitted, []);
});

test('the input list is not the caller’s array and cannot be mutated by a handler', async () => {
  const journal: string[] = [];
  const input = [...EVENTS];
  const def = pipeline([
    {
      spec: probe('mutator', journal, {
        onHandle: (events) => {
          assert.throws(() => (events as WaymarkEvent[]).push(EVENTS[0] as WaymarkEvent), TypeError);
        },
      }),
    },
  ]);
  committed(await runPipeline(def, input, { stream: streamRef(), log: new MemoryLog() }));
  assert.deepEqual(input, EVENTS);
});

test('staged samples and emitted events are returned only on commit', async () => {
  const journal: string[] = [];
  const emitted = ev('new.event', '2014-06-11T16:00:05Z', { x: 1 }, 'emitted-1');
  const good = pipeline([
    {
      spec: probe('m', journal, {
        emit: () => [emitted],
        onCommit: (c) => {
          c.meters.record('build_seconds', 1.5);
          c.meters.increment('builds');
          c.meters.increment('builds', 2);
        },
      }),
    },
  ]);
  const r = committed(await runPipeline(good, EVENTS, { stream: streamRef(), log: new MemoryLog() }));
  assert.deepEqual(r.samples, [
    { meter: 'build_seconds', kind: 'sample', value: 1.5 },
    { meter: 'builds', kind: 'count', value: 1 },
    { meter: 'builds', kind: 'count', value: 2 },
  ]);
  assert.deepEqual(r.emitted, [emitted]);

  const bad = pipeline([
    { spec: probe('m', journal, { emit: () => [emitted], onCommit: (c) => c.meters.record('x', 1) }) },
    { spec: probe('boom', journal, { failIn: 'commit' }) },
  ]);
  const f = failed(await runPipeline(bad, EVENTS, { stream: streamRef(), log: new MemoryLog() }));
  assert.equal('samples' in f, false);
  assert.equal('emitted' in f, false);
});

test('a handleEvents failure rolls back every handler and names the handler and phase', async () => {
  const journal: string[] = [];
  const log = new MemoryLog();
  const def = pipeline([
    { spec: probe('one', journal) },
    { spec: probe('two', journal, { failIn: 'handle' }) },
    { spec: probe('three', journal) },
  ]);
  const r = failed(await runPipeline(def, EVENTS, { stream: streamRef(), log }));
  assert.equal(r.handler, 'two');
  assert.equal(r.index, 1);
  assert.equal(r.phase, 'handle');
  assert.match(r.error, /^Error: two broke in handleEvents$/);
  assert.deepEqual(
    journal.filter((j) => !j.endsWith(':create')),
    ['one:handle(a0,a,b,c)', 'two:handle(a0,a,b,c)', 'one:rollback', 'two:rollback', 'three:rollback'],
  );
  assert.ok(log.warnings().some((w) => w.includes('"two" failed in handle')));
});

test('a commit failure part-way rolls back that handler and the rest, not those already committed', async () => {
  const journal: string[] = [];
  const def = pipeline([
    { spec: probe('one', journal) },
    { spec: probe('two', journal, { failIn: 'commit' }) },
    { spec: probe('three', journal) },
  ]);
  const r = failed(await runPipeline(def, EVENTS, { stream: streamRef(), log: new MemoryLog() }));
  assert.equal(r.handler, 'two');
  assert.equal(r.phase, 'commit');
  assert.deepEqual(
    journal.filter((j) => /commit|rollback/.test(j)),
    ['one:commit', 'two:commit', 'two:rollback', 'three:rollback'],
  );
});

test('a create failure rolls back the handlers already made', async () => {
  const journal: string[] = [];
  const def = pipeline([
    { spec: probe('one', journal) },
    { spec: probe('two', journal, { failIn: 'create' }) },
  ]);
  const r = failed(await runPipeline(def, EVENTS, { stream: streamRef(), log: new MemoryLog() }));
  assert.equal(r.handler, 'two');
  assert.equal(r.phase, 'handle');
  assert.deepEqual(journal, ['one:create', 'two:create', 'one:rollback']);
});

test('rollback errors are logged, not thrown, and do not stop the other rollbacks', async () => {
  const journal: string[] = [];
  const log = new MemoryLog();
  const def = pipeline([
    { spec: probe('one', journal, { failIn: 'rollback' }) },
    { spec: probe('two', journal, { failIn: 'handle' }) },
  ]);
  const r = failed(await runPipeline(def, EVENTS, { stream: streamRef(), log }));
  assert.equal(r.handler, 'two');
  assert.deepEqual(
    journal.filter((j) => j.endsWith('rollback')),
    ['one:rollback', 'two:rollback'],
  );
  assert.ok(log.warnings().some((w) => /"one" rollback failed: Error: one broke in rollback/.test(w)));
});

test('a rollback that never finishes is abandoned after rollbackTimeoutMs and logged', async () => {
  const journal: string[] = [];
  const log = new MemoryLog();
  const def = pipeline([
    { spec: probe('slow', journal, { hangIn: 'rollback' }) },
    { spec: probe('bad', journal, { failIn: 'handle' }) },
  ]);
  const r = failed(await runPipeline(def, EVENTS, { stream: streamRef(), log, rollbackTimeoutMs: 30 }));
  assert.equal(r.handler, 'bad');
  assert.deepEqual(
    journal.filter((j) => j.endsWith('rollback')),
    ['slow:rollback', 'bad:rollback'],
  );
  assert.ok(
    log
      .warnings()
      .some(
        (w) =>
          w ===
          'pipeline handler "slow" rollback failed: PipelineAbortError: did not finish within 30 ms; abandoned',
      ),
  );
});

test('a handler returning something other than an array is an error naming it', async () => {
  for (const returns of [undefined, null, { events: [] }, 'events', [42]]) {
    const journal: string[] = [];
    const def = pipeline([
      { spec: probe('first', journal) },
      { spec: probe('sloppy', journal, { returns }) },
    ]);
    const r = failed(await runPipeline(def, EVENTS, { stream: streamRef(), log: new MemoryLog() }));
    assert.equal(r.handler, 'sloppy');
    assert.equal(r.phase, 'handle');
    assert.ok(r.cause instanceof PipelineMisuseError);
    assert.match(r.error, /handler #1 "sloppy": handleEvents returned/);
  }
});

test('a handler that never finishes times out; the others are rolled back and the signal is aborted', async () => {
  for (const phase of ['handle', 'commit'] as const) {
    const journal: string[] = [];
    let signal: AbortSignal | undefined;
    const def = pipeline([
      { spec: probe('ok', journal) },
      { spec: probe('stuck', journal, { hangIn: phase, onHandle: (_e, _env, c) => (signal = c.signal) }) },
    ]);
    const r = failed(
      await runPipeline(def, EVENTS, { stream: streamRef(), log: new MemoryLog(), timeoutMs: 50 }),
    );
    assert.equal(r.handler, 'stuck');
    assert.equal(r.phase, phase);
    assert.ok(r.cause instanceof PipelineAbortError);
    assert.match(r.error, /timed out after 50 ms/);
    assert.equal(signal?.aborted, true);
    assert.ok(journal.includes('stuck:rollback'));
    assert.equal(journal.includes('ok:rollback'), phase === 'handle');
  }
});

test('an aborted outer signal stops the run', async () => {
  const journal: string[] = [];
  const controller = new AbortController();
  const def = pipeline([
    {
      spec: probe('stuck', journal, {
        hangIn: 'handle',
        onHandle: () => controller.abort(new Error('shutdown')),
      }),
    },
  ]);
  const r = failed(
    await runPipeline(def, EVENTS, { stream: streamRef(), log: new MemoryLog(), signal: controller.signal }),
  );
  assert.equal(r.handler, 'stuck');
  assert.match(r.error, /was aborted/);

  const before = new AbortController();
  before.abort();
  const r2 = failed(
    await runPipeline(pipeline([{ spec: probe('x', []) }]), EVENTS, {
      stream: streamRef(),
      log: new MemoryLog(),
      signal: before.signal,
    }),
  );
  assert.equal(r2.handler, 'x');
});

test('the context refuses misuse: bad events, duplicate ids, bad values, calls after the run', async () => {
  const bads: [string, (c: HandlerContext) => void, RegExp][] = [
    ['not an event', (c) => c.emit({} as WaymarkEvent), /emit: message_id must be/],
    [
      'string timestamp',
      (c) => c.emit({ ...ev('x', '2014-06-11T00:00:00Z'), timestamp: 'now' } as unknown as WaymarkEvent),
      /timestamp must be an Instant/,
    ],
    [
      'duplicate id',
      (c) => {
        c.emit(ev('x', '2014-06-11T00:00:00Z', {}, 'dup'));
        c.emit(ev('y', '2014-06-11T00:00:00Z', {}, 'dup'));
      },
      /"dup" was already emitted/,
    ],
    ['NaN sample', (c) => c.meters.record('m', Number.NaN), /record\("m"\): expected a finite number/],
    [
      'negative increment',
      (c) => c.meters.increment('c', -1),
      /increment\("c"\): expected a finite number >= 0/,
    ],
    ['no name', (c) => c.meters.record('', 1), /needs a name/],
  ];
  for (const [what, misuse, expected] of bads) {
    const def = pipeline([{ spec: probe('p', [], { onHandle: (_e, _env, c) => misuse(c) }) }]);
    const r = failed(await runPipeline(def, EVENTS, { stream: streamRef(), log: new MemoryLog() }));
    assert.ok(r.cause instanceof PipelineMisuseError, what);
    assert.match(r.error, expected, what);
  }

  let late: HandlerContext | undefined;
  const def = pipeline([{ spec: probe('p', [], { onHandle: (_e, _env, c) => (late = c) }) }]);
  committed(await runPipeline(def, EVENTS, { stream: streamRef(), log: new MemoryLog() }));
  assert.throws(() => late?.meters.record('m', 1), /after the pipeline run ended/);
  assert.throws(() => late?.emit(ev('x', '2014-06-11T00:00:00Z')), PipelineMisuseError);
});

test('idempotency key and derived message ids are the same on every retry', async () => {
  const keys: string[] = [];
  const spec = probe('emitter', [], {
    emit: (c) => {
      keys.push(c.idempotencyKey);
      return [0, 1].map((i) => ({
        ...ev('derived', '2014-06-11T00:00:00Z'),
        message_id: derivedMessageId(c.idempotencyKey, i),
      }));
    },
  });
  const def = pipeline([{ spec }], 'audit');
  const ids: string[][] = [];
  for (const attempt of [1, 2]) {
    const stream = streamRef({ id: 9, kind: 'expire', pipeline: 'audit', attempt });
    const r = committed(await runPipeline(def, EVENTS, { stream, log: new MemoryLog() }));
    ids.push(r.emitted.map((e) => e.message_id));
  }
  assert.deepEqual(keys, ['9:expire:audit', '9:expire:audit']);
  assert.deepEqual(ids[0], ids[1]);
  assert.notEqual(ids[0]?.[0], ids[0]?.[1]);
  for (const id of ids[0] ?? [])
    assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  // Independently: the first 16 bytes of SHA-256("key\0index") with version 8 and the RFC 4122 variant.
  const b = createHash('sha256').update('9:expire:audit\u00000').digest();
  const hex = b.subarray(0, 16).toString('hex');
  const expected = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${((parseInt(hex[16] as string, 16) & 3) | 8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
  assert.equal(ids[0]?.[0], expected);
  assert.notEqual(derivedMessageId('9:fire:audit', 0), expected);
});

test('startedAt and finishedAt come from the given clock', async () => {
  let t = 1_000_000;
  const now = (): Instant => new Instant((t += 1_000_000));
  const r = committed(
    await runPipeline(pipeline([{ spec: probe('p', []) }]), EVENTS, {
      stream: streamRef(),
      log: new MemoryLog(),
      now,
    }),
  );
  assert.equal(r.startedAt.us, 2_000_000);
  assert.equal(r.finishedAt.us, 3_000_000);
});

test('log lines carry the stream, pipeline and handler', async () => {
  const log = new MemoryLog();
  const def = pipeline([
    { spec: probe('talker', [], { onHandle: (_e, _env, c) => c.log.info('hello', { n: 1 }) }) },
  ]);
  committed(await runPipeline(def, EVENTS, { stream: streamRef({ id: 5 }), log }));
  assert.deepEqual(log.lines[0], {
    level: 'info',
    message: 'hello',
    fields: { stream_id: 5, pipeline: 'build_time', handler: 'talker', n: 1 },
  });
});
