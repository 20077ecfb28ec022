import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TraitValue, WaymarkEvent } from '../../src/model/event.js';
import { derivedMessageId } from '../../src/pipeline/derived-message-id.js';
import { runPipeline } from '../../src/pipeline/run-pipeline.js';
import { builtin, ev, MemoryLog, pipeline, RecordingPublisher, runOne, streamRef, T } from './helpers.js';

const APB = '2014-06-11T00:00:00.000000Z';
const APE = '2014-06-12T00:00:00.000000Z';
const EARLIER = '2014-06-01T10:00:00.000000Z';
const TODAY = '2014-06-11T09:30:00.250000Z';
const FLAVOR_2 = { instance_type_id: 2, instance_flavor_id: '2', instance_type: '512MB Standard Instance' };
const FLAVOR_3 = { instance_type_id: 3, instance_flavor_id: '3', instance_type: '1GB Standard Instance' };
const BASE = {
  instance_id: 'inst-1',
  tenant_id: 't-1',
  os_architecture: 'x64',
  os_version: '14.04',
  os_distro: 'com.ubuntu',
  ...FLAVOR_2,
};

function inst(over: Record<string, TraitValue> = {}): Record<string, TraitValue> {
  return { ...BASE, state: 'active', launched_at: T(EARLIER), ...over };
}

function exists(over: Record<string, TraitValue | undefined> = {}, id = 'exists-1'): WaymarkEvent {
  const traits: Record<string, TraitValue> = {};
  for (const [k, v] of Object.entries({
    ...inst(),
    audit_period_beginning: T(APB),
    audit_period_ending: T(APE),
    ...over,
  }))
    if (v !== undefined) traits[k] = v;
  return ev('compute.instance.exists', '2014-06-12T00:02:03.000004Z', traits, id);
}

function at(time: string, type: string, over: Record<string, TraitValue> = {}): WaymarkEvent {
  return ev(type, `2014-06-11T${time}Z`, inst(over));
}

/** A build during the day that launched at TODAY. */
const CREATE = [
  at('09:29:00', 'compute.instance.create.start', { state: 'building' }),
  at('09:30:00.250000', 'compute.instance.update', { launched_at: T(TODAY) }),
  at('09:30:01', 'compute.instance.create.end', { launched_at: T(TODAY) }),
];
/** A resize from flavor 2 to 3, confirmed. */
const RESIZE_TO_3 = [
  at('12:00:00', 'compute.instance.resize.prep.start'),
  at('12:00:01', 'compute.instance.resize.prep.end'),
  at('12:00:02', 'compute.instance.resize.start'),
  at('12:00:40', 'compute.instance.resize.end'),
  at('12:00:41', 'compute.instance.finish_resize.start', FLAVOR_3),
  at('12:01:00', 'compute.instance.finish_resize.end', { ...FLAVOR_3, state: 'resized' }),
  at('12:03:00', 'compute.instance.resize.confirm.start', { ...FLAVOR_3, state: 'resized' }),
  at('12:03:05', 'compute.instance.resize.confirm.end', FLAVOR_3),
];
const DELETED_AT = '2014-06-11T18:00:00.000000Z';
const DELETE = [
  at('17:59:50', 'compute.instance.delete.start'),
  at('18:00:01', 'compute.instance.delete.end', { state: 'deleted', deleted_at: T(DELETED_AT) }),
];

type Verdict = { type: string; traits: Record<string, TraitValue> };

async function audit(events: WaymarkEvent[], params: Record<string, unknown> = {}): Promise<Verdict[]> {
  const r = await runOne('usage', params, events);
  assert.equal(r.status, 'committed', r.status === 'error' ? r.error : '');
  return r.emitted.map((e) => ({
    type: e.event_type,
    traits: e.traits,
  }));
}

async function verdictOf(events: WaymarkEvent[], params: Record<string, unknown> = {}): Promise<string> {
  const v = await audit(events, params);
  assert.equal(v.length, 1);
  const t = v[0]?.traits ?? {};
  return v[0]?.type === 'compute.instance.exists.verified'
    ? 'verified'
    : `${String(t['error'])}: ${String(t['reason'])}`;
}

test('verified: a quiet day, a build, a confirmed resize, a delete', async () => {
  assert.equal(await verdictOf([exists()]), 'verified');
  assert.equal(await verdictOf([...CREATE, exists({ launched_at: T(TODAY) })]), 'verified');
  assert.equal(await verdictOf([...RESIZE_TO_3, exists(FLAVOR_3)]), 'verified');
  assert.equal(
    await verdictOf([...DELETE, exists({ state: 'deleted', deleted_at: T(DELETED_AT) })]),
    'verified',
  );
  // An instance in error (failed build) has no launched_at: nothing to check.
  assert.equal(await verdictOf([exists({ state: 'error', launched_at: undefined })]), 'verified');
});

test('a verdict event: traits, ids derived from the .exists, timestamps of the .exists', async () => {
  const ex = exists({}, 'exists-xyz');
  const r = await runOne('usage', {}, [ex], {
    stream: streamRef({ id: 77, pipeline: 'test_fire_pipeline' }),
  });
  assert.equal(r.status, 'committed');
  if (r.status !== 'committed') return;
  const v = r.emitted[0] as WaymarkEvent;
  assert.equal(v.event_type, 'compute.instance.exists.verified');
  assert.equal(v.message_id, derivedMessageId('77:fire:test_fire_pipeline:usage:exists-xyz', 0));
  assert.equal(v.timestamp.us, ex.timestamp.us);
  assert.equal(v.received.us, ex.timestamp.us);
  assert.deepEqual(JSON.parse(JSON.stringify(v.traits)), {
    original_message_id: 'exists-xyz',
    instance_id: 'inst-1',
    tenant_id: 't-1',
    audit_period_beginning: APB,
    audit_period_ending: APE,
    launched_at: EARLIER,
    state: 'active',
    instance_type: '512MB Standard Instance',
    instance_type_id: 2,
    instance_flavor_id: '2',
    stream_id: 77,
  });
  // The same body goes to env.usage_notifications, OpenStack-shaped.
  assert.deepEqual(r.env['usage_notifications'], [
    {
      message_id: v.message_id,
      event_type: 'compute.instance.exists.verified',
      timestamp: '2014-06-12 00:02:03.000004',
      priority: 'INFO',
      publisher_id: 'waymark',
      payload: {
        original_message_id: 'exists-xyz',
        instance_id: 'inst-1',
        tenant_id: 't-1',
        audit_period_beginning: '2014-06-11 00:00:00.000000',
        audit_period_ending: '2014-06-12 00:00:00.000000',
        launched_at: '2014-06-01 10:00:00.000000',
        state: 'active',
        instance_type: '512MB Standard Instance',
        instance_type_id: 2,
        instance_flavor_id: '2',
        stream_id: 77,
      },
    },
  ]);
  // A retry of the same stream emits the same ids.
  const again = await runOne('usage', {}, [ex], {
    stream: streamRef({ id: 77, pipeline: 'test_fire_pipeline', attempt: 2 }),
  });
  assert.equal(again.status === 'committed' && again.emitted[0]?.message_id, v.message_id);
});

test('each failure kind, with winchester’s code and a reason in words', async () => {
  const cases: [string, WaymarkEvent[], RegExp][] = [
    ['U0', [...CREATE], /^U0: 3 events of the instance but no compute.instance.exists/],
    ['U1', [exists({ launched_at: undefined })], /^U1: .exists of an active instance has no launched_at/],
    [
      'U2 flavor',
      [...RESIZE_TO_3, exists()],
      /^U2: conflicting instance_type_id: .exists has 2, compute.instance.resize.confirm.end at 2014-06-11T12:03:05.000000Z has 3/,
    ],
    [
      'U8 launch not seen',
      [...CREATE, exists({ launched_at: T('2014-06-11T09:30:00.250001Z') })],
      /^U8: .exists launched_at 2014-06-11T09:30:00.250001Z is in the audit period, but no event of the period carries that launch/,
    ],
    [
      'U2 launched_at outside the period',
      [
        at('10:00:00', 'compute.instance.reboot.end'),
        exists({ launched_at: T('2014-06-01T10:00:00.000001Z') }),
      ],
      /^U2: conflicting launched_at: .exists has 2014-06-01T10:00:00.000001Z, compute.instance.reboot.end .* has 2014-06-01T10:00:00.000000Z/,
    ],
    [
      'U2 tenant',
      [at('10:00:00', 'compute.instance.reboot.end'), exists({ tenant_id: 't-2' })],
      /^U2: conflicting tenant_id/,
    ],
    [
      'U3',
      [exists({ deleted_at: T(DELETED_AT) })],
      /^U3: .exists has deleted_at but its state is active, not deleted/,
    ],
    [
      'U4',
      [exists({ state: 'deleted', deleted_at: T('2014-05-01T00:00:00Z') })],
      /^U4: .exists deleted_at 2014-05-01T00:00:00.000000Z is before its launched_at 2014-06-01T10:00:00.000000Z/,
    ],
    [
      'U5',
      [exists({ state: 'deleted', deleted_at: T(DELETED_AT) })],
      /^U5: .exists deleted_at 2014-06-11T18:00:00.000000Z is in the audit period, but no compute.instance.delete.end was seen/,
    ],
    ['U6', [...DELETE, exists()], /^U6: compute.instance.delete.end seen but .exists has no deleted_at/],
    [
      'U7',
      [...DELETE, DELETE[1] as WaymarkEvent, exists({ state: 'deleted', deleted_at: T(DELETED_AT) })].map(
        (e, i) => ({
          ...e,
          message_id: `d${i}`,
        }),
      ),
      /^U7: 2 compute.instance.delete.end events/,
    ],
    [
      'U2 deleted_at',
      [...DELETE, exists({ state: 'deleted', deleted_at: T('2014-06-11T18:00:00.5Z') })],
      /^U2: conflicting deleted_at: .exists has 2014-06-11T18:00:00.500000Z, compute.instance.delete.end/,
    ],
    [
      'U8',
      [exists({ launched_at: T(TODAY) })],
      /^U8: .exists launched_at 2014-06-11T09:30:00.250000Z is in the audit period/,
    ],
  ];
  for (const [what, events, expected] of cases) {
    assert.match(await verdictOf(events), expected, what);
  }
});

test('failures warn in the log and carry error and reason traits', async () => {
  const log = new MemoryLog();
  const r = await runOne('usage', {}, [exists({ launched_at: undefined })], { log });
  assert.equal(r.status, 'committed');
  if (r.status !== 'committed') return;
  assert.equal(r.emitted[0]?.event_type, 'compute.instance.exists.failed');
  assert.equal(r.emitted[0]?.traits['error'], 'U1');
  assert.equal(typeof r.emitted[0]?.traits['reason'], 'string');
  assert.ok(log.warnings().some((w) => w.startsWith('usage: inst-1: U1 ')));
});

test('an operation in flight at the end of the period: the .exists may show the instance before or after it', async () => {
  // Resized but not yet confirmed at midnight.
  const unconfirmed = RESIZE_TO_3.slice(0, 6);
  for (const flavor of [FLAVOR_2, FLAVOR_3]) {
    const v = await audit([...unconfirmed, exists(flavor)]);
    assert.equal(v[0]?.type, 'compute.instance.exists.verified');
    assert.equal(
      v[0]?.traits['warning'],
      'compute.instance.resize in progress at the end of the period: the .exists may show the instance before or after it',
    );
  }
  // Neither before nor after: a failure (still with the warning).
  const flavor4 = { instance_type_id: 4, instance_flavor_id: '4', instance_type: '2GB Standard Instance' };
  const odd = await audit([...unconfirmed, exists(flavor4)]);
  assert.equal(odd[0]?.traits['error'], 'U2');
  assert.match(String(odd[0]?.traits['warning']), /in progress/);
  // Finished: only the state after it counts.
  assert.equal((await audit([...RESIZE_TO_3, exists()]))[0]?.type, 'compute.instance.exists.failed');
  // A failed operation (Nova's *_instance error) is no longer in flight.
  const failedRebuild = [
    at('10:00:00', 'compute.instance.rebuild.start'),
    ev('rebuild_instance', '2014-06-11T10:01:00Z', { instance_id: 'inst-1' }),
  ];
  const w = await audit([...failedRebuild, exists()]);
  assert.equal(w[0]?.type, 'compute.instance.exists.verified');
  assert.equal(w[0]?.traits['warning'], undefined);
  // Other checks still apply while in flight.
  assert.match(await verdictOf([...unconfirmed, exists({ launched_at: undefined })]), /^U1/);
});

test('the fields param chooses what is compared', async () => {
  assert.equal(
    await verdictOf([...RESIZE_TO_3, exists()], { fields: ['launched_at', 'tenant_id'] }),
    'verified',
  );
  assert.match(
    await verdictOf([...RESIZE_TO_3, exists()], { fields: ['instance_flavor_id'] }),
    /^U2: conflicting instance_flavor_id/,
  );
});

test('several instances and several .exists in one stream: each .exists is checked against its own block', async () => {
  const other = ev('compute.instance.create.end', '2014-06-11T08:00:00Z', {
    ...inst(),
    instance_id: 'inst-2',
  });
  const day2 = ev(
    'compute.instance.exists',
    '2014-06-13T00:01:00Z',
    {
      ...inst(FLAVOR_3),
      audit_period_beginning: T('2014-06-12T00:00:00Z'),
      audit_period_ending: T('2014-06-13T00:00:00Z'),
    },
    'exists-2',
  );
  const v = await audit([other, ...RESIZE_TO_3, exists(FLAVOR_3), day2]);
  assert.deepEqual(
    v.map((x) => [
      x.traits['instance_id'],
      x.traits['original_message_id'] ?? null,
      x.traits['error'] ?? 'ok',
    ]),
    [
      ['inst-1', 'exists-1', 'ok'],
      ['inst-1', 'exists-2', 'ok'],
      ['inst-2', null, 'U0'],
    ],
  );
  // Our own verdict events in a stream are not instance events.
  const verdict = ev('compute.instance.exists.verified', '2014-06-11T08:00:00Z', inst());
  assert.equal(await verdictOf([verdict, exists()]), 'verified');
});

test('the sandbox pipeline: logger, usage, notabene publishes the verdicts from env', async () => {
  const publisher = new RecordingPublisher();
  const def = pipeline(
    [
      { spec: builtin('logger') },
      { spec: builtin('usage') },
      {
        spec: builtin('notabene'),
        params: {
          host: 'localhost',
          user: 'guest',
          password: 'guest',
          port: 5672,
          vhost: '/',
          library: 'librabbitmq',
          exchange: 'nova',
          exchange_type: 'topic',
          queue_name: 'monitor.info',
          env_keys: ['usage_notifications'],
        },
      },
    ],
    'test_fire_pipeline',
  );
  const r = await runPipeline(def, [...CREATE, exists({ launched_at: T(TODAY) })], {
    stream: streamRef({ pipeline: 'test_fire_pipeline', trigger: 'test_trigger' }),
    log: new MemoryLog(),
    publisher,
  });
  assert.equal(r.status, 'committed');
  if (r.status !== 'committed') return;
  const sent = publisher.calls[0]?.messages ?? [];
  assert.equal(sent.length, 1);
  assert.equal(sent[0]?.routingKey, 'monitor.info');
  assert.equal(sent[0]?.body['event_type'], 'compute.instance.exists.verified');
  assert.equal(sent[0]?.messageId, r.emitted[0]?.message_id);
  assert.deepEqual(publisher.calls[0]?.options, { exchange: 'nova', exchangeType: 'topic' });
});

test('env.usage_notifications that is not a list is refused', async () => {
  const r = await runPipeline(
    pipeline([
      {
        spec: {
          name: 'spoiler',
          validate: () => [],
          create: () => ({
            name: 'spoiler',
            handleEvents: (events, env) => ((env['usage_notifications'] = 'x'), events),
            commit() {},
            rollback() {},
          }),
        },
      },
      { spec: builtin('usage') },
    ]),
    [exists()],
    { stream: streamRef(), log: new MemoryLog() },
  );
  assert.equal(r.status === 'error' && r.handler, 'usage');
});
