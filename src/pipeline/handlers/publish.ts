import type { WaymarkEvent } from '../../model/event.js';
import { derivedMessageId } from '../derived-message-id.js';
import type { HandlerContext, HandlerSpec, PipelineEnv, PipelineHandler } from '../handler.js';
import { PipelineError } from '../pipeline-error.js';
import { isWaymarkEvent, notificationBody } from './notification-body.js';
import { num, oneOf, param, specWithRules, str, strList } from './params.js';

/** Nothing to publish with, or something in `env` that cannot be published. */
export class PublishError extends PipelineError {
  override name = 'PublishError';
}

export const DEFAULT_ROUTING_KEY = 'notifications.info';

const RULES = {
  host: str('localhost'),
  user: str('guest'),
  password: str('guest'),
  port: num({ min: 1, max: 65535, integer: true }),
  vhost: str('/'),
  library: str('librabbitmq'),
  exchange: str('nova', true),
  exchange_type: oneOf(['topic', 'direct', 'fanout', 'headers']),
  queue_name: str('monitor.info'),
  routing_key: str(DEFAULT_ROUTING_KEY),
  env_keys: strList('usage_notifications'),
};

type Message = { routingKey: string; body: Record<string, unknown>; messageId: string };

export interface PublishOptions {
  readonly exchange: string;
  readonly exchangeType: string;
  readonly routingKey: string;
  /** Publish these env lists; `undefined`: publish the stream's events. */
  readonly envKeys: readonly string[] | undefined;
}

/** Publishes notifications to AMQP (through `context.publisher`) when the run commits. */
export class PublishHandler implements PipelineHandler {
  readonly name: string;
  private pending: Message[] = [];

  constructor(
    name: string,
    private readonly options: PublishOptions,
    private readonly context: HandlerContext,
  ) {
    this.name = name;
  }

  private requirePublisher(): NonNullable<HandlerContext['publisher']> {
    const publisher = this.context.publisher;
    if (publisher === undefined) {
      throw new PublishError(
        `${this.name}: no AMQP connection is configured; set amqp in waymark.yaml (url, e.g. amqp://guest:guest@localhost:5672/) so "${this.name}" can publish to exchange "${this.options.exchange}" — the stream stays in error and is retried until then`,
      );
    }
    return publisher;
  }

  private body(item: unknown, where: string, index: number): Record<string, unknown> {
    if (isWaymarkEvent(item)) return notificationBody(item);
    if (item !== null && typeof item === 'object' && !Array.isArray(item)) {
      const body = { ...(item as Record<string, unknown>) };
      if (typeof body['event_type'] !== 'string') {
        throw new PublishError(
          `${this.name}: ${where}[${index}] has no "event_type"; expected a notification body`,
        );
      }
      if (typeof body['message_id'] !== 'string' || body['message_id'] === '') {
        body['message_id'] = derivedMessageId(`${this.context.idempotencyKey}:${this.name}:${where}`, index);
      }
      return body;
    }
    throw new PublishError(
      `${this.name}: ${where}[${index}] is neither an event nor a notification body (got ${item === null ? 'null' : typeof item})`,
    );
  }

  handleEvents(events: readonly WaymarkEvent[], env: PipelineEnv): readonly WaymarkEvent[] {
    // Fail before anything commits: a run that cannot publish must not half-happen.
    this.requirePublisher();
    const bodies: Record<string, unknown>[] = [];
    if (this.options.envKeys === undefined) {
      events.forEach((e, i) => bodies.push(this.body(e, 'events', i)));
    } else {
      for (const key of this.options.envKeys) {
        const list = env[key];
        if (list === undefined || list === null) continue;
        if (!Array.isArray(list)) {
          throw new PublishError(
            `${this.name}: env.${key} is ${typeof list}, not a list; a handler before "${this.name}" must put a list of events or notification bodies there`,
          );
        }
        list.forEach((item: unknown, i) => bodies.push(this.body(item, `env.${key}`, i)));
      }
    }
    this.pending = bodies.map((body) => ({
      routingKey: this.options.routingKey,
      body,
      messageId: body['message_id'] as string,
    }));
    return events;
  }

  async commit(): Promise<void> {
    const publisher = this.requirePublisher();
    if (this.pending.length === 0) return;
    await publisher.publish(this.pending, {
      exchange: this.options.exchange,
      exchangeType: this.options.exchangeType,
    });
    this.context.log.info(
      `${this.name}: published ${this.pending.length} notifications to exchange "${this.options.exchange}"`,
      { routing_key: this.options.routingKey, count: this.pending.length },
    );
  }

  rollback(): void {
    this.pending = [];
  }
}

/**
 * `publish` (also accepted under winchester's name `notabene`): publishes
 * OpenStack notifications to an AMQP exchange when the run commits.
 *
 * - With `env_keys`, publishes the lists in `env` under those keys (items are
 *   notification bodies, such as `usage` leaves in `env.usage_notifications`, or
 *   events); without, the stream's events. Events become bodies as
 *   {@link notificationBody} says (OpenStack timestamps, `publisher_id: waymark`,
 *   traits as the payload).
 * - `exchange` is required; `exchange_type` defaults to `topic`. The routing key
 *   is `routing_key`, else `queue_name` (winchester published with the queue
 *   name as routing key), else `notifications.info`.
 * - `host`, `user`, `password`, `port`, `vhost`, `library` are accepted for
 *   winchester's configs; the connection itself is waymark's AMQP publisher
 *   (`amqp` in waymark.yaml), shared by every run.
 * - With no AMQP publisher configured the run fails (and is retried): nothing is
 *   ever silently dropped.
 *
 * ```yaml
 * test_fire_pipeline:
 *   - usage
 *   - {name: notabene, params: {exchange: nova, queue_name: monitor.info, env_keys: [usage_notifications]}}
 * ```
 */
export function publishSpec(name = 'publish'): HandlerSpec {
  return specWithRules(name, RULES, (params, context) => {
    const envKeys = params['env_keys'];
    return new PublishHandler(
      name,
      {
        exchange: params['exchange'] as string,
        exchangeType: param(params, 'exchange_type', 'topic'),
        routingKey: param(params, 'routing_key', param(params, 'queue_name', DEFAULT_ROUTING_KEY)),
        envKeys: Array.isArray(envKeys) ? (envKeys as string[]) : undefined,
      },
      context,
    );
  });
}
