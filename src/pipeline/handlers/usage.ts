import type { TraitValue, WaymarkEvent } from '../../model/event.js';
import { derivedMessageId } from '../derived-message-id.js';
import type { HandlerContext, HandlerSpec, PipelineEnv, PipelineHandler } from '../handler.js';
import { PipelineError } from '../pipeline-error.js';
import { notificationBody } from './notification-body.js';
import { param, specWithRules, str, strList } from './params.js';
import { auditExists, DEFAULT_USAGE_FIELDS, type UsageVerdict } from './usage-audit.js';

export const EXISTS = 'compute.instance.exists';
export const EXISTS_VERIFIED = 'compute.instance.exists.verified';
export const EXISTS_FAILED = 'compute.instance.exists.failed';
export const DEFAULT_USAGE_ENV_KEY = 'usage_notifications';

/** The traits of the `.exists` a verdict event repeats. */
const COPIED = [
  'instance_id',
  'tenant_id',
  'audit_period_beginning',
  'audit_period_ending',
  'launched_at',
  'deleted_at',
  'state',
  'instance_type',
  'instance_type_id',
  'instance_flavor_id',
];

const RULES = {
  fields: strList('launched_at, instance_flavor_id, tenant_id'),
  env_key: str(DEFAULT_USAGE_ENV_KEY),
};

export interface UsageOptions {
  /** Traits compared between the `.exists` and the period's events. */
  readonly fields: readonly string[];
  /** Where the verdicts go as notification bodies, for `publish`'s `env_keys`. */
  readonly envKey: string;
}

/** Audits each `compute.instance.exists` of the stream against the instance's events before it. */
export class UsageHandler implements PipelineHandler {
  readonly name = 'usage';

  constructor(
    private readonly options: UsageOptions,
    private readonly context: HandlerContext,
  ) {}

  private verdictEvent(
    key: string,
    source: WaymarkEvent,
    traits: Record<string, TraitValue>,
    v: UsageVerdict,
  ): WaymarkEvent {
    const t: Record<string, TraitValue> = { ...traits, stream_id: this.context.stream.id };
    if (v.error !== undefined) t['error'] = v.error;
    if (v.reason !== undefined) t['reason'] = v.reason;
    if (v.warning !== undefined) t['warning'] = v.warning;
    return {
      message_id: derivedMessageId(`${this.context.idempotencyKey}:usage:${key}`, 0),
      event_type: v.error === undefined ? EXISTS_VERIFIED : EXISTS_FAILED,
      timestamp: source.timestamp,
      received: source.timestamp,
      traits: t,
    };
  }

  handleEvents(events: readonly WaymarkEvent[], env: PipelineEnv): readonly WaymarkEvent[] {
    const existing = env[this.options.envKey];
    if (existing !== undefined && !Array.isArray(existing)) {
      throw new PipelineError(
        `usage: env.${this.options.envKey} is already set to a ${typeof existing}, not a list; give usage another env_key`,
      );
    }
    const out: WaymarkEvent[] = [];
    const blocks = new Map<string, WaymarkEvent[]>();
    for (const e of events) {
      const instance = e.traits['instance_id'];
      const key = typeof instance === 'string' ? instance : '';
      if (e.event_type === EXISTS) {
        const block = blocks.get(key) ?? [];
        blocks.delete(key);
        const verdict = auditExists(e, block, this.options.fields);
        const traits: Record<string, TraitValue> = { original_message_id: e.message_id };
        for (const name of COPIED) {
          const v = e.traits[name];
          if (v !== undefined) traits[name] = v;
        }
        out.push(this.verdictEvent(e.message_id, e, traits, verdict));
      } else if (!e.event_type.startsWith(`${EXISTS}.`)) {
        let block = blocks.get(key);
        if (block === undefined) blocks.set(key, (block = []));
        block.push(e);
      }
    }
    for (const [key, block] of blocks) {
      const last = block[block.length - 1] as WaymarkEvent;
      const traits: Record<string, TraitValue> = {};
      if (key !== '') traits['instance_id'] = key;
      const tenant = last.traits['tenant_id'];
      if (tenant !== undefined) traits['tenant_id'] = tenant;
      const verdict: UsageVerdict = {
        error: 'U0',
        reason: `${block.length} events of the instance but no ${EXISTS} for them`,
      };
      out.push(this.verdictEvent(`U0:${key}`, last, traits, verdict));
    }

    const list = (existing as unknown[] | undefined) ?? [];
    let failed = 0;
    for (const v of out) {
      this.context.emit(v);
      list.push(notificationBody(v));
      if (v.event_type === EXISTS_FAILED) {
        failed++;
        this.context.log.warn(
          `usage: ${String(v.traits['instance_id'] ?? '(no instance_id)')}: ${String(v.traits['error'])} ${String(v.traits['reason'])}`,
          {
            instance_id: v.traits['instance_id'],
            error: v.traits['error'],
            original_message_id: v.traits['original_message_id'],
          },
        );
      }
    }
    env[this.options.envKey] = list;
    if (out.length > 0) {
      this.context.log.info(`usage: ${out.length - failed} verified, ${failed} failed`, {
        verified: out.length - failed,
        failed,
      });
    }
    return events;
  }

  commit(): void {}

  rollback(): void {}
}

/**
 * `usage`: the OpenStack billing audit. For each `compute.instance.exists` in
 * the stream it checks the `.exists` against the same instance's events before
 * it (launches, resizes, rebuilds, deletes of the audit period): launched_at,
 * deleted_at, flavor, tenant and image fields must agree (see
 * {@link auditExists} for the checks and winchester's codes U0–U8). For each it
 * emits an event `compute.instance.exists.verified` or `.failed` with traits
 * `instance_id`, `tenant_id`, `audit_period_beginning/ending`, `launched_at`,
 * `deleted_at`, `state`, flavor, `original_message_id`, `stream_id`, and on
 * failure `error` (the code) and `reason` (in words); `warning` when something
 * could not be checked. Instance events with no `.exists` after them (an
 * expired stream) give one `.failed` with `U0`.
 *
 * The verdicts are emitted (`context.emit`: fed back into the engine when the run
 * commits; `message_id` derived from the idempotency key and the `.exists`, so
 * retries repeat the same ids; `timestamp` and `received` those of the
 * `.exists`) and appended to `env.usage_notifications` as OpenStack
 * notification bodies for `publish`'s `env_keys`. The stream's events pass
 * through unchanged.
 *
 * Params: `fields` (the compared traits; default launched_at, instance_type_id,
 * instance_flavor_id, tenant_id, os_architecture, os_version, os_distro),
 * `env_key` (default `usage_notifications`).
 *
 * ```yaml
 * test_fire_pipeline:
 *   - usage
 *   - {name: notabene, params: {exchange: nova, env_keys: [usage_notifications]}}
 * ```
 */
export const usageSpec: HandlerSpec = specWithRules(
  'usage',
  RULES,
  (params, context) =>
    new UsageHandler(
      {
        fields: param(params, 'fields', DEFAULT_USAGE_FIELDS),
        envKey: param(params, 'env_key', DEFAULT_USAGE_ENV_KEY),
      },
      context,
    ),
);
