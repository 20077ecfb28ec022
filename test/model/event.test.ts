import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  TRAITS_JSON,
  TRAITS_JSON_OF,
  eventFromJSON,
  MalformedEventError,
  takeTraitsJSON,
  type EventWithTraitsJSON,
} from '../../src/model/event.js';
import { Instant } from '../../src/model/instant.js';
import { MalformedNotificationError, unwrapNotification, wrapOslo } from '../../src/model/notification.js';

test('an event round-trips through its JSON shape', () => {
  const line =
    '{"message_id":"m1","event_type":"compute.instance.create.end","timestamp":"2014-06-11T16:09:41.123456Z",' +
    '"received":"2014-06-11T16:09:42.000000Z","traits":{"instance_id":"abc","memory_mb":512,"launched_at":"2014-06-11T16:09:40.000001Z"}}';
  const e = eventFromJSON(JSON.parse(line));
  assert.ok(e.traits['launched_at'] instanceof Instant);
  assert.equal(e.traits['memory_mb'], 512);
  assert.equal(JSON.stringify(e), line);
});

test('received defaults to the timestamp; malformed events are named errors', () => {
  const e = eventFromJSON({ message_id: 'm', event_type: 'x', timestamp: '2014-06-11 16:09:41' });
  assert.equal(e.received.us, e.timestamp.us);
  assert.throws(() => eventFromJSON([]), MalformedEventError);
  assert.throws(
    () => eventFromJSON({ message_id: 'm', event_type: 'x', timestamp: 'soon' }),
    /"timestamp" must be a timestamp/,
  );
  assert.throws(() => eventFromJSON({ event_type: 'x', timestamp: 0 }), /"message_id"/);
  assert.throws(
    () => eventFromJSON({ message_id: 'm', event_type: 'x', timestamp: 0, traits: { a: [1] } }),
    /trait "a"/,
  );
});

test('bare notifications and oslo v2 envelopes both unwrap', () => {
  const n = { event_type: 'compute.instance.update', payload: { a: 1 } };
  assert.deepEqual(unwrapNotification(n), n);
  assert.deepEqual(unwrapNotification(wrapOslo(n)), n);
  assert.throws(() => unwrapNotification('x'), MalformedNotificationError);
  assert.throws(
    () => unwrapNotification({ 'oslo.version': '2.0', 'oslo.message': '{bad' }),
    /not valid JSON/,
  );
  assert.throws(() => unwrapNotification({ 'oslo.version': '2.0', 'oslo.message': '[1]' }), /JSON object/);
  assert.throws(
    () => unwrapNotification({ 'oslo.version': '2.0', 'oslo.message': 5 }),
    /must be a JSON string/,
  );
});

test('takeTraitsJSON: the text a reader left on the event, once; an event copied with other traits is not taken for it', () => {
  const traits = { instance_id: 'abc', memory_mb: 512 };
  const left = '{"instance_id":"abc","memory_mb":512}';
  const e: EventWithTraitsJSON = {
    message_id: 'm1',
    event_type: 'x',
    timestamp: Instant.parse('2014-06-11T16:09:41Z'),
    received: Instant.parse('2014-06-11T16:09:41Z'),
    traits,
    [TRAITS_JSON]: left,
    [TRAITS_JSON_OF]: traits,
  };
  const copy = { ...e, traits: { ...traits, memory_mb: 1024 } };
  assert.equal(takeTraitsJSON(copy), '{"instance_id":"abc","memory_mb":1024}');
  assert.equal(takeTraitsJSON(e), left);
  assert.equal(
    e[TRAITS_JSON],
    undefined,
    'dropped once taken, so a stream holding the event does not keep it',
  );
  traits.memory_mb = 2048;
  assert.equal(takeTraitsJSON(e), '{"instance_id":"abc","memory_mb":2048}');
  assert.equal(JSON.stringify(e).includes('waymark'), false, 'the symbols stay out of the JSON shape');
});
