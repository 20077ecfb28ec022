/**
 * The distiller as a library: load the bundled OpenStack definitions, add a
 * definition of your own with a custom plugin, and distill a few notifications.
 *
 *   npm run build && node dist/examples/distill.js
 */
import {
  BUNDLED_DEFINITIONS,
  ConfigError,
  Distiller,
  type TraitPluginFactory,
} from '../src/distill/index.js';
import { Instant } from '../src/model/instant.js';
import { wrapOslo } from '../src/model/notification.js';

// 1. The bundled definitions: compute.instance.*, scheduler.run_instance.*, default traits.
const distiller = Distiller.load(BUNDLED_DEFINITIONS);

const createEnd = {
  message_id: '6f1d1c2e-4a55-4a8e-9f6e-0c4b1f0e2a11',
  event_type: 'compute.instance.create.end',
  timestamp: '2014-06-11 16:09:41.123456',
  publisher_id: 'compute.host-17.example.com',
  _context_request_id: 'req-5b0c1d2e-3f40-4a5b-8c6d-7e8f90a1b2c3',
  payload: {
    instance_id: 'a0b1c2d3-e4f5-4a6b-8c7d-9e0f1a2b3c4d',
    tenant_id: 'acme',
    memory_mb: 2048,
    vcpus: 2,
    state: 'active',
    created_at: '2014-06-11 16:08:49.000000',
    launched_at: '2014-06-11T16:09:40.500000Z',
    deleted_at: '',
    image_meta: { 'org.openstack__1__os_distro': 'org.debian' },
  },
};

// Bare, or in the oslo messaging v2 envelope: the same event.
const received = Instant.parse('2014-06-11T16:09:42Z');
for (const input of [createEnd, wrapOslo(createEnd)]) {
  const out = distiller.distill(input, received);
  if (out.status === 'event') console.log(JSON.stringify(out.event));
}

// 2. Lines of JSON, as they come from a file or a queue; bad ones say why.
for (const line of [
  '{"event_type": "compute.instance.update"}',
  'not json',
  JSON.stringify({ ...createEnd, event_type: 'identity.user.created' }),
]) {
  const out = distiller.distillLine(line);
  console.log(out.status === 'bad' ? `bad: ${out.reason}` : out.status);
}

// 3. Your own definitions and plugin: flavor size class from memory_mb.
const sizeClass: TraitPluginFactory = (params, ctx) => {
  const limit = params['large_from_mb'];
  if (typeof limit !== 'number') ctx.problem('large_from_mb', 'expected a number of megabytes');
  return (matches) => {
    const mb = matches[0]?.value;
    return typeof mb === 'number' ? (mb >= Number(limit) ? 'large' : 'small') : undefined;
  };
};
const mine = Distiller.fromText(
  `
- event_type: compute.instance.create.*
  traits:
    instance_id: {fields: [payload.instance_uuid, payload.instance_id]}
    size: {fields: payload.memory_mb, plugin: {name: size_class, parameters: {large_from_mb: 4096}}}
    host: {fields: 'publisher_id.\`split(., 1, 1)\`'}
`,
  'mine.yaml',
  { plugins: { size_class: sizeClass } },
);
const out = mine.distill(createEnd, received);
if (out.status === 'event') console.log('mine:', JSON.stringify(out.event.traits));

// 4. A bad definitions file names every problem with its line.
try {
  Distiller.fromText(
    '- event_type: compute.*\n  traits:\n    host: {feilds: payload.host, type: integer}\n',
    'typo.yaml',
  );
} catch (err) {
  if (err instanceof ConfigError) console.log(err.message);
  else throw err;
}
