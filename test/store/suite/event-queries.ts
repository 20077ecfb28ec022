import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { WaymarkEvent } from '../../../src/model/event.js';
import type { EventQuery, Store, TraitFilter } from '../../../src/store/store.js';
import { at, batch, ev, ids } from '../fixtures.js';
import { withStore, type MakeStore } from './with-store.js';

const EVENTS: WaymarkEvent[] = [
  ev('e1', 'compute.instance.create.start', at(0), {
    instance_id: 'i-1',
    memory_mb: 512,
    ratio: 0.5,
    launched_at: at(100),
    state: 'building',
  }),
  ev('e2', 'compute.instance.create.end', at(10), {
    instance_id: 'i-1',
    memory_mb: 2048,
    ratio: 1.5,
    launched_at: at(200),
    state: 'active',
  }),
  ev('e3', 'compute.instance.delete.start', at(20), {
    instance_id: 'i-2',
    memory_mb: 4096,
    ratio: 2.5,
    launched_at: at(300),
    state: 'deleting',
  }),
  ev('e4', 'compute.instance.exists', at(30), { instance_id: 'i-3', memory_mb: 8192, state: 'active' }),
  // the same trait names with other types: never matched by a filter of another type
  ev('e5', 'image.upload', at(40), { memory_mb: '512', launched_at: 'yesterday', state: 5 }),
];

async function loaded(store: Store): Promise<void> {
  // out of order, over two commits
  const some = (...wanted: string[]): WaymarkEvent[] => EVENTS.filter((e) => wanted.includes(e.message_id));
  await store.commit(batch({ events: some('e4', 'e1', 'e5') }));
  await store.commit(batch({ events: some('e3', 'e2') }));
}

async function check(store: Store, query: EventQuery, expected: string[], label: string): Promise<void> {
  assert.deepEqual(ids((await store.queryEvents(query)).items), expected, label);
  assert.equal(await store.countEvents(query), expected.length, `count: ${label}`);
}

export function eventQueryTests(make: MakeStore): void {
  test('event types: exact names, globs with * ? and [..], several at once', () =>
    withStore(make, async (store) => {
      await loaded(store);
      const cases: [string[], string[]][] = [
        [['compute.instance.create.start'], ['e1']],
        [['compute.instance.create.*'], ['e1', 'e2']],
        [['compute.instance.*.start'], ['e1', 'e3']],
        [['image.uploa?'], ['e5']],
        [['compute.instance.[cd]*.start'], ['e1', 'e3']],
        [['compute.instance.[!c]*'], ['e3', 'e4']],
        [
          ['compute.instance.exists', 'image.*'],
          ['e4', 'e5'],
        ],
        [['compute.instance.exist.'], []], // a plain name: the dot is a dot, not "any character"
        [['nope'], []],
        [['*'], ['e1', 'e2', 'e3', 'e4', 'e5']],
        [[], ['e1', 'e2', 'e3', 'e4', 'e5']],
      ];
      for (const [types, expected] of cases) await check(store, { types }, expected, types.join(','));
      await assert.rejects(store.queryEvents({ types: ['a.[z-a]*'] }), { name: 'InvalidQueryError' });
    }));

  test('from is inclusive, to exclusive', () =>
    withStore(make, async (store) => {
      await loaded(store);
      await check(store, { from: at(10) }, ['e2', 'e3', 'e4', 'e5'], 'from');
      await check(store, { to: at(30) }, ['e1', 'e2', 'e3'], 'to');
      await check(store, { from: at(10), to: at(30) }, ['e2', 'e3'], 'from-to');
      await check(store, { from: at(10.000001), to: at(40) }, ['e3', 'e4'], 'microseconds count');
      await check(store, { from: at(50) }, [], 'after all');
    }));

  test('trait filters compare numbers numerically, datetimes by time, text as text; types never mix', () =>
    withStore(make, async (store) => {
      await loaded(store);
      const cases: [TraitFilter, string[]][] = [
        [{ trait: 'memory_mb', op: 'lt', value: 2048 }, ['e1']],
        [{ trait: 'memory_mb', op: 'le', value: 2048 }, ['e1', 'e2']],
        [{ trait: 'memory_mb', op: 'eq', value: 2048 }, ['e2']],
        [{ trait: 'memory_mb', op: 'ne', value: 2048 }, ['e1', 'e3', 'e4']],
        [{ trait: 'memory_mb', op: 'ge', value: 4096 }, ['e3', 'e4']],
        [{ trait: 'memory_mb', op: 'gt', value: 4096 }, ['e4']],
        [{ trait: 'memory_mb', op: 'gt', value: 600 }, ['e2', 'e3', 'e4']], // numeric, not "600" > "4096"
        [{ trait: 'ratio', op: 'gt', value: 1 }, ['e2', 'e3']],
        [{ trait: 'ratio', op: 'le', value: 0.5 }, ['e1']],
        [{ trait: 'launched_at', op: 'lt', value: at(200) }, ['e1']],
        [{ trait: 'launched_at', op: 'le', value: at(200) }, ['e1', 'e2']],
        [{ trait: 'launched_at', op: 'eq', value: at(300) }, ['e3']],
        [{ trait: 'launched_at', op: 'ne', value: at(200) }, ['e1', 'e3']],
        [{ trait: 'launched_at', op: 'ge', value: at(200) }, ['e2', 'e3']],
        [{ trait: 'launched_at', op: 'gt', value: at(200) }, ['e3']],
        [{ trait: 'launched_at', op: 'gt', value: at(199.999999) }, ['e2', 'e3']],
        [{ trait: 'state', op: 'eq', value: 'active' }, ['e2', 'e4']],
        [{ trait: 'state', op: 'ne', value: 'active' }, ['e1', 'e3']],
        [{ trait: 'state', op: 'lt', value: 'building' }, ['e2', 'e4']],
        [{ trait: 'state', op: 'le', value: 'building' }, ['e1', 'e2', 'e4']],
        [{ trait: 'state', op: 'gt', value: 'building' }, ['e3']],
        [{ trait: 'state', op: 'ge', value: 'deleting' }, ['e3']],
        [{ trait: 'memory_mb', op: 'eq', value: '512' }, ['e5']],
        [{ trait: 'launched_at', op: 'eq', value: 'yesterday' }, ['e5']],
        [{ trait: 'state', op: 'eq', value: 5 }, ['e5']],
        [{ trait: 'missing', op: 'ne', value: 1 }, []],
      ];
      for (const [f, expected] of cases) {
        await check(store, { traits: [f] }, expected, `${f.trait} ${f.op} ${String(f.value)}`);
      }
      await check(
        store,
        {
          types: ['compute.*'],
          from: at(5),
          traits: [
            { trait: 'memory_mb', op: 'ge', value: 2048 },
            { trait: 'state', op: 'eq', value: 'active' },
          ],
        },
        ['e2', 'e4'],
        'all filters together',
      );
      await assert.rejects(store.queryEvents({ traits: [{ trait: 'x', op: 'like' as never, value: 1 }] }), {
        name: 'InvalidQueryError',
      });
    }));

  test('paging walks (timestamp, message_id) order with markers; count ignores the marker', () =>
    withStore(make, async (store) => {
      // 25 events, three per timestamp, ids not in timestamp order, committed shuffled over 3 batches
      const all = Array.from({ length: 25 }, (_, i) =>
        ev(`m${String((i * 7) % 25).padStart(2, '0')}`, i % 2 === 0 ? 'even' : 'odd', at(Math.floor(i / 3))),
      );
      const shuffled = [...all].sort((a, b) => (a.message_id < b.message_id ? 1 : -1));
      for (let k = 0; k < 3; k++) await store.commit(batch({ events: shuffled.slice(k * 9, k * 9 + 9) }));
      const expected = [...all]
        .sort((a, b) => a.timestamp.us - b.timestamp.us || (a.message_id < b.message_id ? -1 : 1))
        .map((e) => e.message_id);

      const seen: string[] = [];
      const sizes: number[] = [];
      let marker: string | undefined;
      do {
        const page = await store.queryEvents({ limit: 7, ...(marker === undefined ? {} : { marker }) });
        seen.push(...ids(page.items));
        sizes.push(page.items.length);
        marker = page.next;
      } while (marker !== undefined);
      assert.deepEqual(sizes, [7, 7, 7, 4]);
      assert.deepEqual(seen, expected);

      const first = await store.queryEvents({ types: ['even'], limit: 5 });
      assert.ok(first.next !== undefined);
      const second = await store.queryEvents({ types: ['even'], limit: 5, marker: first.next });
      assert.equal(await store.countEvents({ types: ['even'], marker: first.next }), 13);
      assert.deepEqual(
        [...ids(first.items), ...ids(second.items)],
        expected.filter((id) => all.find((e) => e.message_id === id)?.event_type === 'even').slice(0, 10),
      );
      const exact = await store.queryEvents({ limit: 25 });
      assert.equal(exact.items.length, 25);
      assert.equal(exact.next, undefined, 'no marker when the page holds the rest');
    }));

  test('page size: 100 by default, at least 1, at most 10,000', () =>
    withStore(make, async (store) => {
      const events = Array.from({ length: 10_050 }, (_, i) => ev(`id-${i}`, 't', at(i / 1000)));
      await store.commit(batch({ events }));
      const byDefault = await store.queryEvents({});
      assert.equal(byDefault.items.length, 100);
      assert.ok(byDefault.next !== undefined);
      assert.equal((await store.queryEvents({ limit: 0 })).items.length, 1);
      const capped = await store.queryEvents({ limit: 20_000 });
      assert.equal(capped.items.length, 10_000);
      assert.ok(capped.next !== undefined);
      assert.equal(await store.countEvents({}), 10_050);
    }));

  test('a marker this query did not issue is refused', () =>
    withStore(make, async (store) => {
      await loaded(store);
      await assert.rejects(store.queryEvents({ marker: 'garbage!' }), { name: 'InvalidMarkerError' });
      await store.commit(batch({ streams: [] }));
      const streamMarker = Buffer.from(JSON.stringify(['s', 1])).toString('base64url');
      await assert.rejects(store.queryEvents({ marker: streamMarker }), { name: 'InvalidMarkerError' });
    }));

  test('existingMessageIds, messageIdsSince and latestEventTimestamp', () =>
    withStore(make, async (store) => {
      await loaded(store);
      assert.deepEqual([...(await store.existingMessageIds(['e2', 'zz', 'e5', 'e2', 'e9']))].sort(), [
        'e2',
        'e5',
      ]);
      assert.deepEqual([...(await store.existingMessageIds([]))], []);
      assert.deepEqual((await store.messageIdsSince(at(20))).sort(), ['e3', 'e4', 'e5']);
      assert.deepEqual(await store.messageIdsSince(at(41)), []);
      assert.equal((await store.latestEventTimestamp())?.us, at(40).us);
      const many = Array.from({ length: 12_000 }, (_, i) => `x${i}`);
      const found = await store.existingMessageIds([...many, 'e1']);
      assert.deepEqual([...found], ['e1']);
    }));
}
