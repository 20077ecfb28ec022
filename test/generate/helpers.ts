import { EventGenerator, type GeneratorOptions } from '../../src/generate/event-generator.js';
import type { GeneratedNotification } from '../../src/generate/generated-notification.js';
import { openstackScenario } from '../../src/generate/openstack/openstack-scenario.js';
import type { TruthRecord } from '../../src/generate/truth.js';
import { tryParseMicros } from '../../src/model/instant.js';

export interface Run {
  items: GeneratedNotification[];
  truth: TruthRecord[];
  gen: EventGenerator;
}

/** Run the OpenStack scenario to completion. */
export function runOpenstack(opts: Partial<GeneratorOptions> = {}): Run {
  const gen = new EventGenerator({ scenario: openstackScenario(), opsPerHour: 3600, seed: 1, ...opts });
  const items = [...gen];
  return { items, truth: gen.truth(), gen };
}

/** Microseconds of an OpenStack or ISO timestamp (test oracle: the model's parser). */
export function us(ts: unknown): number {
  const v = tryParseMicros(ts);
  if (v === undefined) throw new Error(`not a timestamp: ${String(ts)}`);
  return v;
}

export function payloadOf(n: Record<string, unknown>): Record<string, unknown> {
  return (n['payload'] ?? {}) as Record<string, unknown>;
}

/** The instance a notification is about, wherever Nova put it. */
export function instanceOf(n: Record<string, unknown>): string | undefined {
  const p = payloadOf(n);
  if (typeof p['instance_id'] === 'string') return p['instance_id'];
  const exc = p['exception'] as { kwargs?: { instance_id?: string } } | undefined;
  if (exc?.kwargs?.instance_id !== undefined) return exc.kwargs.instance_id;
  const spec = p['request_spec'] as { instance_uuids?: string[] } | undefined;
  return spec?.instance_uuids?.[0];
}
