import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { redactStoreUrl, resolveStoreUrl } from '../config/store-url.js';
import { defaultWaymarkConfig, loadWaymarkConfig, type WaymarkConfig } from '../config/waymark-config.js';
import { UsageError, type CliIO, type FlagSpec } from './command.js';

/** The flags of every command that runs on a waymark.yaml: `--config FILE`, `--store URL`. */
export const CONFIG_FLAGS = {
  config: { type: 'string' },
  store: { type: 'string' },
} as const satisfies FlagSpec;

/** How the flags are documented in each command's usage. */
export const CONFIG_FLAGS_USAGE = `      --config FILE       waymark.yaml (or winchester.yaml); default: $WAYMARK_CONFIG, else
                          ./waymark.yaml if it exists, else the bundled defaults
      --store URL         the store, overriding the config's database url: duckdb:FILE,
                          memory: or postgresql://…`;

/**
 * The configuration a command runs with: `--config FILE`, else the
 * `WAYMARK_CONFIG` environment variable, else `./waymark.yaml` when it exists,
 * else {@link defaultWaymarkConfig}. `--store URL` replaces the database url
 * (a relative `duckdb:` path is taken from the current directory).
 *
 * ```ts
 * const { values } = parseFlags('serve', args, { ...CONFIG_FLAGS, ...OUTPUT_FLAGS });
 * const config = resolveConfig(values, io);
 * ```
 */
export function resolveConfig(
  values: { config?: string | undefined; store?: string | undefined },
  io: CliIO,
): WaymarkConfig {
  const options = { cwd: io.cwd, env: io.env };
  const envFile = io.env['WAYMARK_CONFIG'];
  const local = resolve(io.cwd, 'waymark.yaml');
  const file =
    values.config ??
    (envFile !== undefined && envFile !== '' ? envFile : existsSync(local) ? local : undefined);
  const config = file === undefined ? defaultWaymarkConfig(options) : loadWaymarkConfig(file, options);
  if (values.store === undefined) return config;
  const store = resolveStoreUrl(values.store, io.cwd);
  if ('problem' in store) throw new UsageError(`--store ${redactStoreUrl(values.store)}: ${store.problem}`);
  return { ...config, storeUrl: store.url };
}
