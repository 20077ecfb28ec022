import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Distiller, type DistillOutcome } from '../../src/distill/index.js';
import type { WaymarkEvent } from '../../src/model/event.js';
import { Instant } from '../../src/model/instant.js';
import { wrapOslo } from '../../src/model/notification.js';
import { REPO_ROOT } from '../helpers/paths.js';

const FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'distill');
const fixture = (name: string): string => join(FIXTURES, name);
const RECEIVED = Instant.parse('2020-01-01T00:00:00Z');

function note(
  event_type: string,
  payload: Record<string, unknown> = {},
  extra: Record<string, unknown> = {},
) {
  return {
    message_id: `m-${event_type}`,
    event_type,
    timestamp: '2014-06-11 16:09:41.123456',
    publisher_id: 'compute.host-1.example.com',
    payload,
    ...extra,
  };
}

function event(out: DistillOutcome): WaymarkEvent {
  assert.equal(out.status, 'event', JSON.stringify(out));
  return (out as { event: WaymarkEvent }).event;
}

function defs(yaml: string): Distiller {
  return Distiller.fromText(yaml, 'inline.yaml');
}

test('searches from the last definition to the first', () => {
  const d = Distiller.load(fixture('definitions.yaml'));
  assert.equal(d.size, 4);
  assert.equal(d.definitionFor('compute.instance.update')?.index, 0);
  assert.equal(d.definitionFor('compute.instance.exists')?.index, 1);
  assert.equal(d.definitionFor('compute.instance.create.end')?.index, 2);
  assert.equal(d.definitionFor('compute.instance.resize.prep.start')?.index, 3);
  assert.equal(d.definitionFor('scheduler.run_instance.start'), undefined);
  // Repeated lookups (cached) give the same answer.
  assert.equal(d.definitionFor('compute.instance.exists')?.index, 1);
  // The exists definition has the audit period; the generic one does not.
  const exists = event(
    d.distill(note('compute.instance.exists', { audit_period_beginning: '2014-06-10 00:00:00' })),
  );
  assert.equal(String(exists.traits['audit_period_beginning']), '2014-06-10T00:00:00.000000Z');
  const update = event(
    d.distill(note('compute.instance.update', { audit_period_beginning: '2014-06-10 00:00:00' })),
  );
  assert.equal(update.traits['audit_period_beginning'], undefined);
});

test('globs: *, ?, [...] and lists; exclusions; only exclusions match everything else', () => {
  const d = defs(`
- event_type: ['a.?.c', 'b.[xy]z', 'n.[!0-9]']
  traits: {k: {fields: payload.k}}
- event_type: ['!secret.*', '!*.error']
  traits: {only_exclusions: {fields: payload.k}}
- event_type: ['volume.*', '!volume.usage']
  traits: {vol: {fields: payload.k}}
`);
  assert.equal(d.definitionFor('volume.create.end')?.index, 2);
  assert.equal(d.definitionFor('volume.usage')?.index, 1); // excluded from [2], [1] has only exclusions
  assert.equal(d.definitionFor('volume.attach.error')?.index, 2);
  assert.equal(d.definitionFor('image.upload')?.index, 1);
  assert.equal(d.definitionFor('secret.read'), undefined);
  assert.equal(d.definitionFor('image.error'), undefined);
  // [1] matches everything not excluded, so [0] is reached only for what [1] excludes.
  assert.equal(d.definitionFor('a.b.c')?.index, 1);
  const only0 = defs(`
- event_type: ['a.?.c', 'b.[xy]z', 'n.[!0-9]']
  traits: {k: {fields: payload.k}}
`);
  for (const yes of ['a.b.c', 'a.x.c', 'b.xz', 'b.yz', 'n.q']) assert.ok(only0.definitionFor(yes), yes);
  for (const no of ['a.bb.c', 'a..c', 'b.zz', 'n.5', 'a.b.cd', 'xa.b.c'])
    assert.equal(only0.definitionFor(no), undefined, no);
  // `*` spans dots, like fnmatch.
  assert.ok(defs('- {event_type: "compute.*", traits: {}}').definitionFor('compute.instance.create.end'));
});

test('trait types and conversions; failures are counted, empty strings are absent', () => {
  const d = defs(`
- event_type: '*'
  traits:
    t: {fields: payload.t}
    i: {type: int, fields: payload.i}
    f: {type: float, fields: payload.f}
    dt: {type: datetime, fields: payload.dt}
`);
  const ok = d.distill(note('x', { t: 42, i: '512', f: '2.5', dt: '2014-06-11T18:09:41.5+02:00' }), RECEIVED);
  const e = event(ok);
  assert.equal(e.traits['t'], '42');
  assert.equal(e.traits['i'], 512);
  assert.equal(e.traits['f'], 2.5);
  assert.ok(e.traits['dt'] instanceof Instant);
  assert.equal(String(e.traits['dt']), '2014-06-11T16:09:41.500000Z');
  assert.equal((ok as { conversionErrors: number }).conversionErrors, 0);

  assert.equal(event(d.distill(note('x', { i: 512.0, dt: 1402502981.25 }))).traits['i'], 512);
  assert.equal(
    String(event(d.distill(note('x', { dt: 1402502981.25 }))).traits['dt']),
    '2014-06-11T16:09:41.250000Z',
  );
  assert.equal(
    String(event(d.distill(note('x', { dt: '2014-06-11 16:09:41.123456' }))).traits['dt']),
    '2014-06-11T16:09:41.123456Z',
  );
  assert.equal(
    String(event(d.distill(note('x', { dt: '2014-06-11T16:09:41' }))).traits['dt']),
    '2014-06-11T16:09:41.000000Z',
  );

  const empty = d.distill(note('x', { t: '', i: '', f: '', dt: '' }));
  assert.deepEqual(Object.keys(event(empty).traits).sort(), ['service', 't']);
  assert.equal(event(empty).traits['t'], '');
  assert.equal((empty as { conversionErrors: number }).conversionErrors, 0);

  const badValues = d.distill(note('x', { t: 'fine', i: 'lots', f: 'NaN-ish', dt: 'yesterday' }));
  assert.deepEqual(Object.keys(event(badValues).traits).sort(), ['service', 't']);
  assert.equal((badValues as { conversionErrors: number }).conversionErrors, 3);
  assert.equal((d.distill(note('x', { i: 2.5 })) as { conversionErrors: number }).conversionErrors, 1);
  assert.equal(
    (d.distill(note('x', { i: { nested: 1 } })) as { conversionErrors: number }).conversionErrors,
    1,
  );
  // Text keeps structure as JSON.
  assert.equal(event(d.distill(note('x', { t: { a: [1] } }))).traits['t'], '{"a":[1]}');
});

test('fields: first existing non-null path wins; all path syntaxes', () => {
  const d = defs(`
- event_type: '*'
  traits:
    first: {fields: [payload.missing, payload.nothing, payload.b, payload.a]}
    bracket: {fields: 'payload[host]'}
    quoted_bracket: {fields: "payload['odd key']"}
    rooted: {fields: $.payload.host}
    dotted: {fields: "payload.image_meta.'org.openstack__1__architecture'"}
    dquoted: {fields: 'payload.image_meta."org.openstack__1__os_distro"'}
    indexed: {fields: 'payload.volume_attachment[0].server_id'}
    last: {fields: 'payload.volume_attachment[-1].server_id'}
    filtered: {fields: 'payload.glance_metadata[?key=image_id].value'}
    filtered_quoted: {fields: "payload.glance_metadata[?(@.key == 'size')].value"}
    not_filtered: {fields: "payload.glance_metadata[?key != image_id].value"}
    wild: {fields: 'payload.volume_attachment[*].device'}
    inline_split: {fields: 'publisher_id.\`split(., 1, 1)\`'}
    inline_split_all: {fields: 'publisher_id.\`split(., 2, -1)\`'}
`);
  const e = event(
    d.distill(
      note('x', {
        nothing: null,
        a: 'A',
        b: 'B',
        host: 'h-7',
        'odd key': 'odd',
        image_meta: { 'org.openstack__1__architecture': 'x64', 'org.openstack__1__os_distro': 'org.debian' },
        volume_attachment: [{ server_id: 's-0' }, { server_id: 's-1', device: '/dev/vdb' }],
        glance_metadata: [
          { key: 'size', value: '10' },
          { key: 'image_id', value: 'img-9' },
        ],
      }),
    ),
  );
  assert.deepEqual(e.traits, {
    first: 'B',
    bracket: 'h-7',
    quoted_bracket: 'odd',
    rooted: 'h-7',
    dotted: 'x64',
    dquoted: 'org.debian',
    indexed: 's-0',
    last: 's-1',
    filtered: 'img-9',
    filtered_quoted: '10',
    not_filtered: '10',
    wild: '/dev/vdb',
    inline_split: 'host-1.example.com',
    inline_split_all: 'example',
    service: 'compute',
  });
  // Missing intermediate objects and scalars in the way are simply absent.
  const sparse = event(d.distill(note('x', { image_meta: 'not an object', volume_attachment: {} })));
  assert.deepEqual(Object.keys(sparse.traits), ['inline_split', 'inline_split_all', 'service']);
});

test('plugins: split, bitfield, timedelta; named or with parameters', () => {
  const d = defs(`
- event_type: '*'
  traits:
    service2: {fields: publisher_id, plugin: split}
    host: {fields: publisher_id, plugin: {name: split, parameters: {segment: 1, max_split: 1}}}
    tail: {fields: publisher_id, plugin: {name: split, parameters: {separator: '-', segment: -1}}}
    nothing: {fields: publisher_id, plugin: {name: split, parameters: {segment: 9}}}
    flags:
      type: int
      fields: [payload.state, payload.deleted, payload.flag]
      plugin:
        name: bitfield
        parameters:
          initial_bitfield: 256
          flags:
            - {path: payload.state, bit: 0, value: active}
            - {path: payload.deleted, bit: 1}
            - {path: payload.flag, bit: 2, value: 7}
    took:
      type: float
      fields: [payload.created_at, payload.launched_at]
      plugin: timedelta
`);
  const e = event(
    d.distill(
      note(
        'x',
        {
          state: 'active',
          flag: 7,
          created_at: '2014-06-11 16:00:00',
          launched_at: '2014-06-11T16:00:52.5Z',
        },
        {
          publisher_id: 'compute.host-1.example-zone-3',
        },
      ),
    ),
  );
  assert.equal(e.traits['service2'], 'compute');
  assert.equal(e.traits['host'], 'host-1.example-zone-3');
  assert.equal(e.traits['tail'], '3');
  assert.equal(e.traits['nothing'], undefined);
  assert.equal(e.traits['flags'], 256 + 1 + 4);
  assert.equal(e.traits['took'], 52.5);
  const other = event(
    d.distill(note('x', { state: 'deleted', deleted: true, flag: 8, created_at: '2014-06-11 16:00:00' })),
  );
  assert.equal(other.traits['flags'], 256 + 2);
  assert.equal(other.traits['took'], undefined); // only one of the two datetimes
});

test('user plugins receive every (path, value) pair, even none, and may omit the trait', () => {
  const seen: unknown[] = [];
  const d = Distiller.fromText(
    `
- event_type: '*'
  traits:
    joined:
      fields: [payload.a, 'payload.list[*]', payload.missing]
      plugin: {name: join, parameters: {with: '+'}}
    boom: {fields: payload.a, plugin: explode}
`,
    'user.yaml',
    {
      plugins: {
        join: (params) => (matches) => {
          seen.push(matches);
          return matches.length === 0
            ? undefined
            : matches.map((m) => `${m.path}=${String(m.value)}`).join(String(params['with']));
        },
        explode: () => () => {
          throw new Error('kaboom');
        },
      },
    },
  );
  const out = d.distill(note('x', { a: 1, list: ['x', null, 'y'] }));
  assert.equal(event(out).traits['joined'], 'payload.a=1+payload.list[*]=x+payload.list[*]=y');
  assert.equal(event(out).traits['boom'], undefined);
  assert.equal((out as { conversionErrors: number }).conversionErrors, 1, 'a throwing plugin is counted');
  const none = event(d.distill(note('x', {})));
  assert.equal(none.traits['joined'], undefined);
  assert.deepEqual(seen[1], []);
});

test('default traits on every definition; a definition may override them', () => {
  const d = Distiller.load(fixture('definitions.yaml'));
  const n = note(
    'compute.instance.update',
    { tenant_id: 't-1' },
    { _context_request_id: 'req-9', _context_tenant: 't-ctx' },
  );
  const e = event(d.distill(n));
  assert.equal(e.traits['service'], 'compute');
  assert.equal(e.traits['request_id'], 'req-9');
  assert.equal(e.traits['tenant_id'], 't-1');
  const ctx = event(d.distill(note('compute.instance.update', {}, { _context_tenant: 't-ctx' })));
  assert.equal(ctx.traits['tenant_id'], 't-ctx');
  // The resize definition defines its own `service`.
  const resize = event(d.distill(note('compute.instance.resize.start', { service_override: 'mine' })));
  assert.equal(resize.traits['service'], 'mine');
  // It merges two anchors: traits of both are there.
  assert.deepEqual(
    Object.keys(
      event(d.distill(note('compute.instance.resize.start', { disk_gb: 1, memory_mb: 2, instance_id: 'i' })))
        .traits,
    ).sort(),
    ['disk_gb', 'host', 'instance_id', 'memory_mb'],
  );
});

test('timestamp from timestamp, else _context_timestamp; received from _waymark_received, else the argument', () => {
  const d = defs("- {event_type: '*', traits: {}}");
  const a = event(d.distill(note('x'), RECEIVED));
  assert.equal(a.timestamp.toISOString(), '2014-06-11T16:09:41.123456Z');
  assert.equal(a.received.toISOString(), '2020-01-01T00:00:00.000000Z');
  const ctx = { message_id: 'm', event_type: 'x', _context_timestamp: '2014-06-11T16:09:41Z' };
  assert.equal(event(d.distill(ctx)).timestamp.toISOString(), '2014-06-11T16:09:41.000000Z');
  const sim = event(d.distill({ ...ctx, _waymark_received: '2014-06-11 16:09:45.5' }, RECEIVED));
  assert.equal(sim.received.toISOString(), '2014-06-11T16:09:45.500000Z');
  // The simulated field on the oslo envelope counts too.
  const wrapped = event(d.distill({ ...wrapOslo(ctx), _waymark_received: '2014-06-11 16:09:46' }, RECEIVED));
  assert.equal(wrapped.received.toISOString(), '2014-06-11T16:09:46.000000Z');
  const before = Date.now() * 1000;
  const now = event(d.distill(ctx));
  assert.ok(now.received.us >= before && now.received.us <= Date.now() * 1000 + 1000);
});

test('oslo v2 envelopes and bare notifications give the same event', () => {
  const d = Distiller.load(fixture('definitions.yaml'));
  const n = note('compute.instance.create.end', { instance_id: 'i-1', memory_mb: 512 });
  assert.deepEqual(d.distill(wrapOslo(n), RECEIVED), d.distill(n, RECEIVED));
});

test('bad input is an outcome, never an exception', () => {
  const d = defs("- {event_type: '*', traits: {}}");
  const cases: [unknown, RegExp][] = [
    [null, /JSON object, got null/],
    [[1, 2], /got an array/],
    ['text', /got string/],
    [{ 'oslo.version': '2.0', 'oslo.message': '{not json' }, /oslo/],
    [{ 'oslo.version': '2.0', 'oslo.message': 42 }, /oslo/],
    [{ message_id: 'm', timestamp: '2014-06-11' }, /missing "event_type"/],
    [{ message_id: 'm', event_type: 7, timestamp: '2014-06-11' }, /"event_type" must be/],
    [{ event_type: 'x', timestamp: '2014-06-11' }, /missing "message_id"/],
    [{ event_type: 'x', message_id: 'm' }, /timestamp/],
    [{ event_type: 'x', message_id: 'm', timestamp: 'tuesday' }, /no usable timestamp/],
  ];
  for (const [input, reason] of cases) {
    const out = d.distill(input);
    assert.equal(out.status, 'bad', JSON.stringify(input));
    assert.match((out as { reason: string }).reason, reason);
  }
  const line = d.distillLine('{"truncated": ');
  assert.equal(line.status, 'bad');
  assert.match((line as { reason: string }).reason, /not JSON/);
  assert.equal(d.distillLine(JSON.stringify(note('x'))).status, 'event');
});

test('no definition is counted as such; the catch-all keeps the envelope and default traits only', () => {
  const text = "- {event_type: 'compute.*', traits: {host: {fields: payload.host}}}";
  const n = note('identity.user.created', { host: 'h', tenant_id: 't' }, { _context_request_id: 'req-1' });
  assert.deepEqual(Distiller.fromText(text).distill(n), {
    status: 'no_definition',
    event_type: 'identity.user.created',
  });
  const e = event(Distiller.fromText(text, 'x.yaml', { catchAll: true }).distill(n, RECEIVED));
  assert.equal(e.message_id, n.message_id);
  assert.equal(e.event_type, 'identity.user.created');
  assert.deepEqual(e.traits, { service: 'compute', request_id: 'req-1', tenant_id: 't' });
});

test('several files: later files are searched first', () => {
  const d = Distiller.load([fixture('definitions.yaml'), fixture('ceilometer-style.yaml')]);
  // ceilometer-style.yaml's exclusion-only definition excludes compute.*, its '*' comes before it ...
  assert.equal(d.definitionFor('compute.instance.update')?.file, fixture('ceilometer-style.yaml'));
  const rev = Distiller.load([fixture('ceilometer-style.yaml'), fixture('definitions.yaml')]);
  assert.equal(rev.definitionFor('compute.instance.update')?.file, fixture('definitions.yaml'));
  assert.equal(rev.definitionFor('volume.create.end')?.file, fixture('ceilometer-style.yaml'));
});

test('Ceilometer-style file: inline split, merged anchors, exclusions, filters', () => {
  const d = Distiller.load(fixture('ceilometer-style.yaml'));
  const vol = {
    message_id: 'm',
    event_type: 'volume.create.end',
    timestamp: '2014-06-11T16:09:41.000001Z',
    publisher_id: 'volume.cinder-1.example.com',
    _context_tenant: 'proj-1',
    payload: {
      volume_id: 'v-1',
      size: '10',
      status: 'available',
      bootable: false,
      volume_attachment: [{ server_id: 'srv-1' }],
      glance_metadata: [
        { key: 'image_name', value: 'cirros' },
        { key: 'image_id', value: 'img-1' },
      ],
    },
  };
  assert.deepEqual(event(d.distill(vol)).traits, {
    project_id: 'proj-1',
    host: 'cinder-1.example.com',
    volume_id: 'v-1',
    size: 10,
    instance_id: 'srv-1',
    image_id: 'img-1',
    status_flags: 1 + 8,
    service: 'volume',
    tenant_id: 'proj-1',
  });
  // volume.usage is excluded from the cinder definition and by the exclusion-only one: '*' applies.
  assert.deepEqual(Object.keys(event(d.distill({ ...vol, event_type: 'volume.usage' })).traits).sort(), [
    'project_id',
    'service',
    'tenant_id',
  ]);
  assert.equal(d.definitionFor('identity.project.created')?.index, 2);
  const snap = event(
    d.distill({
      ...vol,
      event_type: 'snapshot.create.end',
      publisher_id: 'snapshot.host-a-b-zone7',
      payload: { snapshot_id: 's-1', resource_id: 'r-1', size: 3 },
    }),
  );
  assert.deepEqual(snap.traits, {
    project_id: 'proj-1',
    host: 'host-a-b-zone7',
    size: 3,
    status_flags: 0,
    resource_id: 'r-1',
    snapshot_id: 's-1',
    zone: 'zone7',
    service: 'snapshot',
    tenant_id: 'proj-1',
  });
});

test('the fixture notifications: events, bad lines, no definitions, conversion errors', async () => {
  const { readFileSync } = await import('node:fs');
  const d = Distiller.load(fixture('definitions.yaml'));
  const lines = readFileSync(fixture('notifications.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '');
  const outs = lines.map((l) => d.distillLine(l.replace(/\r$/, ''), RECEIVED));
  assert.deepEqual(
    outs.map((o) => o.status),
    ['event', 'event', 'no_definition', 'bad', 'event', 'bad', 'bad', 'event', 'event'],
  );
  const create = event(outs[0] as DistillOutcome);
  assert.equal(create.traits['build_seconds'], 50.5);
  assert.equal(create.traits['disk_gb'], 20);
  assert.equal(create.traits['vcpus'], 2);
  assert.equal(create.traits['os_architecture'], 'x64');
  assert.equal(create.traits['host'], 'host-1.example.com');
  const exists = event(outs[1] as DistillOutcome);
  assert.equal(exists.traits['memory_mb'], 2048);
  assert.equal(exists.traits['launched_at'], undefined);
  assert.equal(String(exists.traits['audit_period_ending']), '2014-06-12T00:00:00.000000Z');
  assert.equal((outs[4] as { conversionErrors: number }).conversionErrors, 2);
  const m5 = event(outs[7] as DistillOutcome);
  assert.equal(m5.timestamp.toISOString(), '2014-06-11T16:12:00.500000Z');
  assert.equal(m5.received.toISOString(), '2014-06-11T16:12:03.250000Z');
});

test('JSON.stringify of an event gives the product.md wire shape', () => {
  const d = Distiller.load(fixture('definitions.yaml'));
  const e = event(
    d.distill(
      note('compute.instance.exists', {
        instance_id: 'i',
        memory_mb: '512',
        launched_at: '2014-06-11 16:00:00',
      }),
      RECEIVED,
    ),
  );
  assert.deepEqual(JSON.parse(JSON.stringify(e)), {
    message_id: 'm-compute.instance.exists',
    event_type: 'compute.instance.exists',
    timestamp: '2014-06-11T16:09:41.123456Z',
    received: '2020-01-01T00:00:00.000000Z',
    traits: {
      instance_id: 'i',
      host: 'host-1.example.com',
      memory_mb: 512,
      launched_at: '2014-06-11T16:00:00.000000Z',
      service: 'compute',
    },
  });
});
