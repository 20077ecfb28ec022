import { existsSync, statSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { statsDir } from '../stats/paths.js';
import { readAmqpSection, type AmqpConfig } from './amqp-config.js';
import { unknownKeyMessage, type ConfigPath, type ConfigProblem } from './config-error.js';
import { absoluteFrom, ConfigValues } from './config-values.js';
import { ProblemList, type ConfigIssues } from './problem-list.js';
import { resolveStoreUrl } from './store-url.js';
import { describeType, isPlainObject, YamlSource } from './yaml-source.js';

/** Where a pipeline handler comes from: a built-in by name, or a JS module's export. */
export type HandlerModule =
  { readonly builtin: string } | { readonly module: string; readonly exportName: string | undefined };

/** A validated waymark.yaml (winchester.yaml's keys plus waymark's own), with every file resolved. */
export interface WaymarkConfig {
  /** The config file (absolute), or `undefined` for {@link defaultWaymarkConfig}. */
  readonly file: string | undefined;
  /** Event definitions files, absolute, in order (later files are searched first by the distiller). */
  readonly distillerFiles: readonly string[];
  readonly triggerFiles: readonly string[];
  readonly pipelineFiles: readonly string[];
  /** `phases`: phases files (time-and-motion phase sets), absolute. */
  readonly phaseFiles: readonly string[];
  /** `pipeline_handlers`: handler name -> where it comes from (built-ins are always available besides). */
  readonly handlerModules: Readonly<Record<string, HandlerModule>>;
  /** `duckdb:/abs/path`, `memory:` or `postgresql://…`. */
  readonly storeUrl: string;
  /** `catch_all_notifications`: keep notifications no event definition matches. */
  readonly catchAll: boolean;
  readonly http: { readonly host: string; readonly port: number };
  readonly statsDir: string;
  /** `wall` (live) or `event` (replay: the latest event time less the lateness). */
  readonly clock: 'wall' | 'event';
  readonly latenessSeconds: number;
  /** Pipeline retries: attempts in all, and the first wait (doubling per attempt). */
  readonly retry: { readonly maxAttempts: number; readonly backoffSeconds: number };
  readonly pipelineTimeoutSeconds: number;
  readonly statisticsPeriodSeconds: number;
  /** `pipeline_worker_batch_size`: streams a pipeline worker takes at a time. */
  readonly batchSize: number;
  /** `pipeline_worker_delay`: how long an idle pipeline worker sleeps. */
  readonly workerDelaySeconds: number;
  /** Delete completed streams this long after they completed (`undefined`: keep them). */
  readonly purgeCompletedAfterSeconds: number | undefined;
  /** Delete events no stream needs any more after this age (`undefined`: keep them). */
  readonly trimEventsAfterSeconds: number | undefined;
  /** `amqp`: the RabbitMQ connection (consume notifications, publish from pipelines); `undefined`: none. */
  readonly amqp: AmqpConfig | undefined;
  /** Accepted but ignored settings, and the like. */
  readonly warnings: readonly ConfigProblem[];
}

/** The keys of winchester.yaml that waymark reads. */
export const WINCHESTER_CONFIG_KEYS = [
  'config_path',
  'distiller_config',
  'distiller_trait_plugins',
  'trigger_definitions',
  'pipeline_config',
  'pipeline_handlers',
  'catch_all_notifications',
  'statistics_period',
  'pipeline_worker_batch_size',
  'pipeline_worker_delay',
  'purge_completed_streams',
  'time_sync_endpoint',
  'database',
] as const;

/** waymark's own keys. */
export const WAYMARK_CONFIG_KEYS = [
  'http',
  'stats',
  'clock',
  'lateness',
  'retry',
  'purge_completed_after',
  'trim_events_after',
  'pipeline_timeout',
  'phases',
  'amqp',
] as const;

const CONFIG_KEYS: readonly string[] = [...WINCHESTER_CONFIG_KEYS, ...WAYMARK_CONFIG_KEYS];

/** winchester's handler classes -> waymark's built-ins. */
const WINCHESTER_HANDLERS: Readonly<Record<string, string>> = {
  'winchester.pipeline_handler:LoggingHandler': 'logger',
  'winchester.pipeline_handler:UsageHandler': 'usage',
  'winchester.pipeline_handler:NotabeneHandler': 'publish',
  'winchester.pipeline_handler:AtomPubHandler': 'webhook',
};

// Compiled to dist/src/config/waymark-config.js: the package root is three levels up.
const PACKAGE_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** The definitions, triggers and pipelines waymark ships (`definitions/`), absolute. */
export const BUNDLED_CONFIG_FILES = {
  distiller: [
    resolve(PACKAGE_ROOT, 'definitions/openstack.yaml'),
    resolve(PACKAGE_ROOT, 'definitions/testruns.yaml'),
  ],
  triggers: [resolve(PACKAGE_ROOT, 'definitions/triggers.yaml')],
  pipelines: [resolve(PACKAGE_ROOT, 'definitions/pipelines.yaml')],
  phases: [
    resolve(PACKAGE_ROOT, 'definitions/testrun-phases.yaml'),
    resolve(PACKAGE_ROOT, 'definitions/openstack-phases.yaml'),
  ],
} as const;

const DEFAULT_STORE = 'waymark.duckdb';

interface Where {
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
}

function defaults(where: Where): Omit<WaymarkConfig, 'file' | 'warnings'> {
  return {
    distillerFiles: BUNDLED_CONFIG_FILES.distiller,
    triggerFiles: BUNDLED_CONFIG_FILES.triggers,
    pipelineFiles: BUNDLED_CONFIG_FILES.pipelines,
    phaseFiles: BUNDLED_CONFIG_FILES.phases,
    handlerModules: {},
    storeUrl: `duckdb:${resolve(where.cwd, DEFAULT_STORE)}`,
    catchAll: false,
    http: { host: '127.0.0.1', port: 8470 },
    statsDir: statsDir(where.env),
    clock: 'wall',
    latenessSeconds: 60,
    retry: { maxAttempts: 5, backoffSeconds: 10 },
    pipelineTimeoutSeconds: 30,
    statisticsPeriodSeconds: 10,
    batchSize: 1000,
    workerDelaySeconds: 1,
    purgeCompletedAfterSeconds: undefined,
    trimEventsAfterSeconds: undefined,
    amqp: undefined,
  };
}

/**
 * The configuration with no file: the bundled definitions, triggers and
 * pipelines, the store `duckdb:waymark.duckdb` in the current directory,
 * the HTTP server on 127.0.0.1:8470.
 *
 * ```ts
 * const config = defaultWaymarkConfig();
 * config.triggerFiles; // ['/…/node_modules/waymark/definitions/triggers.yaml']
 * ```
 */
export function defaultWaymarkConfig(options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): WaymarkConfig {
  return {
    file: undefined,
    ...defaults({ cwd: options.cwd ?? process.cwd(), env: options.env ?? process.env }),
    warnings: [],
  };
}

/** A map section (`database`, `http`, `retry`, `stats`), its unknown keys reported. */
function section(
  raw: Record<string, unknown>,
  key: string,
  allowed: readonly string[],
  issues: ConfigIssues,
): Record<string, unknown> {
  const v = raw[key];
  if (v === undefined || v === null) return {};
  if (!isPlainObject(v)) {
    issues.problem([key], `expected a map with ${allowed.join(', ')}, got ${describeType(v)}`);
    return {};
  }
  for (const k of Object.keys(v))
    if (!allowed.includes(k)) issues.problem([key, k], unknownKeyMessage(k, allowed));
  return v;
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** Files named by a key, each found in the config_path dirs, then beside the config file. */
function findFiles(
  entries: readonly { value: string; path: ConfigPath }[],
  searchDirs: readonly string[],
  issues: ConfigIssues,
): string[] {
  const out: string[] = [];
  for (const { value, path } of entries) {
    const candidates = isAbsolute(value) ? [value] : searchDirs.map((d) => resolve(d, value));
    const found = candidates.find(isFile);
    if (found !== undefined) out.push(found);
    else {
      issues.problem(
        path,
        isAbsolute(value)
          ? `no such file: ${value}`
          : `"${value}" not found in ${searchDirs.join(', ')} (the config_path directories, then the config file's directory)`,
      );
    }
  }
  return out;
}

function handlerModules(v: unknown, configDir: string, issues: ConfigIssues): Record<string, HandlerModule> {
  const out: Record<string, HandlerModule> = {};
  if (v === undefined || v === null) return out;
  if (!isPlainObject(v)) {
    issues.problem(
      ['pipeline_handlers'],
      `expected a map of handler name -> module ("./handlers/x.js:Export"), got ${describeType(v)}`,
    );
    return out;
  }
  for (const [name, spec] of Object.entries(v)) {
    const path: ConfigPath = ['pipeline_handlers', name];
    if (typeof spec !== 'string' || spec === '') {
      issues.problem(
        path,
        `expected a module such as "./handlers/x.js" or "./x.js:ExportName", got ${describeType(spec)}`,
      );
      continue;
    }
    const builtin = Object.hasOwn(WINCHESTER_HANDLERS, spec) ? WINCHESTER_HANDLERS[spec] : undefined;
    if (builtin !== undefined) {
      out[name] = { builtin };
      continue;
    }
    if (spec.startsWith('winchester.')) {
      issues.problem(
        path,
        `winchester handler "${spec}" has no waymark equivalent; waymark provides ${Object.keys(WINCHESTER_HANDLERS).join(', ')} and its own built-ins (logger, meter, count, webhook, usage, publish) without configuration`,
      );
      continue;
    }
    const m = /^(.*?\.[cm]?js)(?::([A-Za-z_$][\w$]*))?$/.exec(spec);
    const looksLikePath = /^(\.{1,2}\/|\/)/.test(spec);
    if (m === null || (!looksLikePath && !m[1]?.includes('/'))) {
      issues.problem(
        path,
        `expected a JS module path such as "./handlers/x.js" or "./x.js:ExportName" (relative to the config file), got ${JSON.stringify(spec)}${/^[\w.]+:\w+$/.test(spec) ? ' (a Python simport spec cannot be loaded)' : ''}`,
      );
      continue;
    }
    const module = absoluteFrom(configDir, m[1] as string);
    if (!existsSync(module)) {
      issues.problem(path, `no such module: ${module}`);
      continue;
    }
    out[name] = { module, exportName: m[2] };
  }
  return out;
}

/**
 * Load and validate a waymark.yaml. winchester.yaml loads unchanged (its
 * `config_path`, `distiller_config`, `trigger_definitions`, `pipeline_config`,
 * `pipeline_handlers`, `database`, ... keys); waymark adds `http`, `stats`,
 * `clock`, `lateness`, `retry`, `purge_completed_after`, `trim_events_after`,
 * `pipeline_timeout`, `phases` (phases files; default the bundled ones) and `amqp` (see {@link readAmqpSection}). Relative file names are searched in `config_path`,
 * then beside the config file. Throws one {@link ConfigError} listing every
 * problem (file, path, line, what is expected). Keys left out take the
 * defaults of {@link defaultWaymarkConfig} (the bundled files included).
 *
 * ```ts
 * const config = loadWaymarkConfig('examples/waymark.yaml');
 * config.storeUrl;    // 'duckdb:/…/examples/waymark.duckdb'
 * config.triggerFiles; // absolute paths
 * ```
 */
export function loadWaymarkConfig(
  file: string,
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): WaymarkConfig {
  const where: Where = { cwd: options.cwd ?? process.cwd(), env: options.env ?? process.env };
  const absolute = resolve(where.cwd, file);
  const source = YamlSource.load(absolute);
  const list = new ProblemList();
  const issues = list.issuesFor(source);
  const values = new ConfigValues(issues);
  const base = defaults(where);
  const configDir = dirname(absolute);
  const raw: Record<string, unknown> =
    source.value === null || source.value === undefined ? {} : (source.value as Record<string, unknown>);
  if (!isPlainObject(raw)) {
    issues.problem(
      [],
      `expected a map of settings (config_path, database, trigger_definitions, ...), got ${describeType(raw)}`,
    );
    list.throwIfProblems();
  }
  for (const key of Object.keys(raw))
    if (!CONFIG_KEYS.includes(key)) issues.problem([key], unknownKeyMessage(key, CONFIG_KEYS));

  const configPath = values.stringList(raw['config_path'], ['config_path'], 'a directory');
  for (const { value, path } of configPath) {
    const dir = absoluteFrom(configDir, value);
    if (!existsSync(dir))
      issues.warn(path, `no such directory: ${dir}; it is skipped when looking for files`);
  }
  const searchDirs = [...configPath.map((c) => absoluteFrom(configDir, c.value)), configDir];
  const files = (key: string, what: string, fallback: readonly string[]): readonly string[] => {
    const entries = values.stringList(raw[key], [key], what);
    return entries.length === 0 ? fallback : findFiles(entries, searchDirs, issues);
  };
  const distillerFiles = files('distiller_config', 'an event definitions file', base.distillerFiles);
  const triggerFiles = files('trigger_definitions', 'a trigger definitions file', base.triggerFiles);
  const pipelineFiles = files('pipeline_config', 'a pipeline definitions file', base.pipelineFiles);
  const phaseFiles = files('phases', 'a phases file', base.phaseFiles);

  const plugins = raw['distiller_trait_plugins'];
  if (isPlainObject(plugins) && Object.keys(plugins).length > 0) {
    issues.warn(
      ['distiller_trait_plugins'],
      'Python trait plugins cannot be loaded and are ignored; pass JS plugins with waymark distill --plugins',
    );
  } else if (plugins !== undefined && plugins !== null && !isPlainObject(plugins)) {
    issues.problem(
      ['distiller_trait_plugins'],
      `expected a map of plugin name -> class, got ${describeType(plugins)}`,
    );
  }
  if (raw['time_sync_endpoint'] !== undefined && raw['time_sync_endpoint'] !== null) {
    issues.warn(
      ['time_sync_endpoint'],
      'ignored: waymark replays with the event-time clock instead (clock: event)',
    );
  }

  let storeUrl = base.storeUrl;
  const database = section(raw, 'database', ['url'], issues);
  const url = values.string(
    database['url'],
    ['database', 'url'],
    '',
    'a store URL such as duckdb:waymark.duckdb',
  );
  if (url !== '') {
    const r = resolveStoreUrl(url, configDir);
    if ('problem' in r) issues.problem(['database', 'url'], r.problem);
    else storeUrl = r.url;
  }

  const http = section(raw, 'http', ['host', 'port'], issues);
  const stats = section(raw, 'stats', ['dir'], issues);
  const retry = section(raw, 'retry', ['max_attempts', 'backoff'], issues);
  const statsDirValue = values.string(stats['dir'], ['stats', 'dir'], '', 'a directory');
  const purgeNow = values.bool(raw['purge_completed_streams'], ['purge_completed_streams'], false);
  const config: WaymarkConfig = {
    file: absolute,
    distillerFiles,
    triggerFiles,
    pipelineFiles,
    phaseFiles,
    handlerModules: handlerModules(raw['pipeline_handlers'], configDir, issues),
    storeUrl,
    catchAll: values.bool(raw['catch_all_notifications'], ['catch_all_notifications'], base.catchAll),
    http: {
      host: values.string(http['host'], ['http', 'host'], base.http.host, 'a host name or address'),
      port: values.int(http['port'], ['http', 'port'], base.http.port, 0, 65535),
    },
    statsDir: statsDirValue === '' ? base.statsDir : absoluteFrom(configDir, statsDirValue),
    clock: values.choice(raw['clock'], ['clock'], base.clock, ['wall', 'event'] as const),
    latenessSeconds: values.duration(raw['lateness'], ['lateness'], base.latenessSeconds, true),
    retry: {
      maxAttempts: values.int(retry['max_attempts'], ['retry', 'max_attempts'], base.retry.maxAttempts, 1),
      backoffSeconds: values.duration(retry['backoff'], ['retry', 'backoff'], base.retry.backoffSeconds),
    },
    pipelineTimeoutSeconds: values.duration(
      raw['pipeline_timeout'],
      ['pipeline_timeout'],
      base.pipelineTimeoutSeconds,
    ),
    statisticsPeriodSeconds: values.seconds(
      raw['statistics_period'],
      ['statistics_period'],
      base.statisticsPeriodSeconds,
    ),
    batchSize: values.int(
      raw['pipeline_worker_batch_size'],
      ['pipeline_worker_batch_size'],
      base.batchSize,
      1,
    ),
    workerDelaySeconds: values.seconds(
      raw['pipeline_worker_delay'],
      ['pipeline_worker_delay'],
      base.workerDelaySeconds,
      true,
    ),
    purgeCompletedAfterSeconds: values.duration(
      raw['purge_completed_after'],
      ['purge_completed_after'],
      purgeNow ? 0 : undefined,
      true,
    ),
    trimEventsAfterSeconds: values.duration(raw['trim_events_after'], ['trim_events_after'], undefined, true),
    amqp: readAmqpSection(raw['amqp'], issues, values),
    warnings: list.sortedWarnings(),
  };
  list.throwIfProblems();
  return config;
}
