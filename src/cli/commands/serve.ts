import { Runtime } from '../../runtime/runtime.js';
import { createServer } from '../../server/create-server.js';
import { statsRequestHandler } from '../../stats/http-handler.js';
import { CONFIG_FLAGS, resolveConfig } from '../config-flags.js';
import { OUTPUT_FLAGS, UsageError, intFlag, parseFlags, type Command } from '../command.js';
import { cliLogger } from '../cli-logger.js';
import { progressMode } from '../progress.js';

const FLAGS = {
  ...CONFIG_FLAGS,
  port: { type: 'string', short: 'p' },
  host: { type: 'string' },
  clock: { type: 'string' },
  ...OUTPUT_FLAGS,
} as const;

const USAGE = `usage: waymark serve [--config FILE] [--store URL] [--port N] [--host 127.0.0.1] [--clock wall|event] [--json]

Runs ingest, the trigger engine, pipelines and the HTTP API in one process on
the configured store (default: the embedded DuckDB file waymark.duckdb).

  -p, --port N      HTTP port (default: config http.port, 8470; 0 picks a free one)
      --host H      address to listen on (default 127.0.0.1)
      --clock C     wall (default) or event
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
    const runtime = await Runtime.open({ config, clock, log, publishStats: true });
    const server = createServer({
      backend: runtime,
      host,
      port,
      log,
      extraHandlers: [statsRequestHandler({ dir: config.statsDir })],
    });
    let address;
    try {
      address = await server.start();
    } catch (e) {
      await runtime.close();
      throw e;
    }
    io.stdout.write(
      `waymark serving on ${address.url} (store ${config.storeUrl}, ${runtime.triggers.length} triggers, clock ${clock})\n`,
    );
    await new Promise<void>((resolve) => {
      const stop = (): void => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    io.stderr.write('waymark: stopping\n');
    await server.close();
    await runtime.close();
    return 0;
  },
};

export default command;
