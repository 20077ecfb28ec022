import { amqpConfigFromUrl, AMQP_DEFAULTS, redactAmqpUrl, type AmqpConfig } from '../config/amqp-config.js';
import type { WaymarkConfig } from '../config/waymark-config.js';
import { WaymarkError } from '../model/errors.js';
import { AmqpPublisher } from '../ingest/amqp/amqp-publisher.js';
import { AmqpSource, type NotificationIngest, type SourceLogger } from '../ingest/amqp/amqp-source.js';

/** A `--amqp URL` that cannot be used; the message lists every problem. */
export class AmqpUrlError extends WaymarkError {
  override name = 'AmqpUrlError';
}

/**
 * The AMQP settings a command runs with: the config's `amqp` section, with
 * `--amqp URL` (when given) replacing its URL and overriding what the URL's
 * parameters name.
 *
 * ```ts
 * effectiveAmqpConfig(config, 'amqp://guest:guest@localhost:5672/?queue=w&prefetch=200');
 * ```
 */
export function effectiveAmqpConfig(config: WaymarkConfig, flag: string | undefined): AmqpConfig | undefined {
  if (flag === undefined) return config.amqp;
  const r = amqpConfigFromUrl(flag, config.amqp ?? AMQP_DEFAULTS);
  if ('problems' in r) throw new AmqpUrlError(`--amqp ${redactAmqpUrl(flag)}: ${r.problems.join('; ')}`);
  return r.config;
}

/** What a process consumes and publishes with over AMQP. */
export interface AmqpWiring {
  /** For {@link Runtime.open}'s `publisher` (the `publish` handler). */
  readonly publisher: AmqpPublisher;
  /** `undefined` when no queue is configured (publish only). */
  readonly source: AmqpSource | undefined;
  /** One line for the startup message. */
  readonly description: string;
}

/**
 * The publisher for a config's AMQP settings (made before the runtime, which
 * takes it), and `start(runtime)` to start consuming once the runtime is
 * open. Shut down in this order: `source.close()` (stop consuming, commit and
 * acknowledge what was received), the runtime, then `publisher.close()`.
 */
export function amqpWiring(
  amqp: AmqpConfig,
  options: { log: SourceLogger; onFatal: (err: Error) => void },
): { publisher: AmqpPublisher; start(ingest: NotificationIngest): Promise<AmqpWiring> } {
  const publisher = new AmqpPublisher({ url: amqp.url });
  return {
    publisher,
    async start(ingest) {
      const source =
        amqp.queues.length === 0
          ? undefined
          : new AmqpSource({ config: amqp, ingest, log: options.log, onFatal: options.onFatal });
      try {
        await source?.start();
      } catch (err) {
        await publisher.close();
        throw err;
      }
      const where = redactAmqpUrl(amqp.url);
      const description =
        source === undefined
          ? `amqp: publishing on ${where}`
          : `amqp: consuming ${amqp.queues.map((q) => q.name).join(', ')} (exchange ${amqp.exchange.name}) on ${where}${source.connected ? '' : ', connecting'}`;
      return {
        publisher,
        source,
        description,
      };
    },
  };
}
