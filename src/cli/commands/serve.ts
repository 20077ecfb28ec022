import { Runtime } from '../../runtime/runtime.js';
import { amqpWiring, AmqpUrlError, effectiveAmqpConfig, type AmqpWiring } from '../../runtime/sources.js';
import { createServer } from '../../server/create-server.js';
import { staticAssetsHandler } from '../../server/static-assets.js';
import { statsRequestHandler } from '../../stats/http-handler.js';
import { CONFIG_FLAGS, resolveConfig } from '../config-flags.js';
import { OUTPUT_FLAGS, UsageError, intFlag, numberFlag, parseFlags, type Command } from '../command.js';
import { UnsupportedStoreError } from '../../store/store-errors.js';
import { cliLogger } from '../cli-logger.js';
import { progressMode } from '../progress.js';
import { redactStoreUrl } from '../../config/store-url.js';

const FLAGS = {
  ...CONFIG_FLAGS,
  port: { type: 'string', short: 'p' },
  host: { type: 'string' },
  clock: { type: 'string' },
  amqp: { type: 'string' },
  shared: { type: 'boolean' },
  lease: { type: 'string' },
  ...OUTPUT_FLAGS,
} as const;

const USAGE = `usage: waymark serve [--config FILE] [--store URL] [--port N] [--host 127.0.0.1] [--clock wall|event]
                     [--amqp amqp://USER:PASS@HOST:5672/VHOST?exchange=nova&queue=Q&...]
                     [--shared [--lease SECONDS]] [--json]

Runs ingest, the trigger engine, pipelines and the HTTP API in one process on
the configured store (default: the embedded DuckDB file waymark.duckdb).

  -p, --port N      HTTP port (default: config http.port, 8470; 0 picks a free one)
      --host H      address to listen on (default 127.0.0.1)
      --clock C     wall (default) or event
      --amqp URL    also consume OpenStack notifications from RabbitMQ (and publish from the
                    publish handler); overrides the config's amqp.url. URL parameters:
                    exchange (nova), exchange_type (topic), exchange_durable (true),
                    queue (waymark.notifications; empty: publish only),
                    binding_keys (notifications.info,notifications.error), prefetch (4000),
                    dead_letter_exchange (none); others such as heartbeat go to the connection
      --shared      one of several workers on one PostgreSQL store (docs/scale-out.md): every
                    worker ingests (stores and queues the events it receives); the one holding
                    the correlator lease runs the streams and pipelines, another takes over
                    when it stops renewing
      --lease S     how long the correlator lease lasts unrenewed (default 15 seconds)
      --json        log lines as JSON

Prints "waymark serving on http://HOST:PORT" when ready; stops cleanly on SIGINT/SIGTERM.`;

const command: Command = {
  name: 'serve',
  summary: 'run ingest + engine + pipelines + HTTP API on the store (Ctrl-C stops)',
  usage: USAGE,
  async run(args, io) {
    const { values } = parseFlags('serve', args, FLAGS);
    const config = resolveConfig(values, io);
    const clock = values.clock ?? config.clock;
    if (clock !== 'wall' && clock !== 'event')
      throw new UsageError(`serve: --clock must be "wall" or "event", got "${clock}"`);
    const port = values.port === undefined ? config.http.port : intFlag('serve', 'port', values.port, 0);
    const host = values.host ?? config.http.host;
    const log = cliLogger(io, progressMode(io, { json: values.json, quiet: false }), true);
    if (values.lease !== undefined && values.shared !== true)
      throw new UsageError('serve: --lease only applies with --shared');
    const leaseMs =
      values.lease === undefined ? undefined : numberFlag('serve', 'lease', values.lease) * 1000;
    let amqpConfig;
    try {
      amqpConfig = effectiveAmqpConfig(config, values.amqp);
    } catch (cause) {
      if (cause instanceof AmqpUrlError) throw new UsageError(`serve: ${cause.message}`, { cause });
      throw cause;
    }
    let fatal: ((err: Error) => void) | undefined;
    const failed = new Promise<Error>((resolve) => (fatal = resolve));
    const wiring =
      amqpConfig === undefined ? undefined : amqpWiring(amqpConfig, { log, onFatal: (e) => fatal?.(e) });
    let runtime: Runtime;
    try {
      runtime = await Runtime.open({
        config,
        clock,
        log,
        publishStats: true,
        publisher: wiring?.publisher,
        ...(values.shared === true ? { shared: leaseMs === undefined ? {} : { leaseMs } } : {}),
      });
    } catch (e) {
      if (e instanceof UnsupportedStoreError)
        throw new UsageError(`serve: --shared: ${e.message}`, { cause: e });
      throw e;
    }
    let amqp: AmqpWiring | undefined;
    try {
      amqp = await wiring?.start(runtime);
    } catch (e) {
      await runtime.close();
      throw e;
    }
    const server = createServer({
      backend: runtime,
      host,
      port,
      log,
      extraHandlers: [statsRequestHandler({ dir: config.statsDir }), staticAssetsHandler()],
    });
    let address;
    try {
      address = await server.start();
    } catch (e) {
      await amqp?.source?.close();
      await runtime.close();
      await amqp?.publisher.close();
      throw e;
    }
    io.stdout.write(
      `waymark serving on ${address.url} (store ${redactStoreUrl(config.storeUrl)}, ${runtime.triggers.length} triggers, clock ${clock})\ndashboard: ${address.url}/\n` +
        (runtime.worker === undefined
          ? ''
          : `worker ${runtime.worker.holder}: shares the store, competes for the correlator lease\n`) +
        (amqp === undefined ? '' : `${amqp.description}\n`),
    );
    const stopped = await Promise.race([
      new Promise<undefined>((resolve) => {
        const stop = (): void => resolve(undefined);
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      }),
      failed,
    ]);
    io.stderr.write(
      stopped === undefined ? 'waymark: stopping\n' : `waymark: stopping: ${stopped.message}\n`,
    );
    // Stop consuming first: what was received is committed and acknowledged before the store closes.
    await amqp?.source?.close();
    await server.close();
    await runtime.close();
    await amqp?.publisher.close();
    return stopped === undefined ? 0 : 1;
  },
};

export default command;
