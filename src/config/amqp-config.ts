import { unknownKeyMessage, type ConfigPath } from './config-error.js';
import type { ConfigValues } from './config-values.js';
import type { ConfigIssues } from './problem-list.js';
import { describeType, isPlainObject } from './yaml-source.js';

export const EXCHANGE_TYPES = ['topic', 'direct', 'fanout', 'headers'] as const;
export type ExchangeType = (typeof EXCHANGE_TYPES)[number];

/** One queue waymark consumes, declared durable and bound to the exchange with each key. */
export interface AmqpQueueConfig {
  readonly name: string;
  readonly bindingKeys: readonly string[];
}

/** The `amqp` section of waymark.yaml (or `serve --amqp URL`), validated. */
export interface AmqpConfig {
  /** The connection URL (`amqp://USER:PASS@HOST:PORT/VHOST`), waymark's own query parameters removed. */
  readonly url: string;
  /** The exchange OpenStack publishes to (declared if missing). */
  readonly exchange: { readonly name: string; readonly type: ExchangeType; readonly durable: boolean };
  /** The queues to consume (empty: publish only). */
  readonly queues: readonly AmqpQueueConfig[];
  /** Unacknowledged messages per queue at most (the bound on in-flight work). */
  readonly prefetch: number;
  /** Poison messages are also dead-lettered to this RabbitMQ exchange (and a queue of the same name). */
  readonly deadLetterExchange: string | undefined;
  /** Reconnection backoff: first wait and cap, milliseconds (jittered). */
  readonly reconnect: { readonly initialMs: number; readonly maxMs: number };
}

export const DEFAULT_BINDING_KEYS = ['notifications.info', 'notifications.error'] as const;
export const DEFAULT_QUEUE = 'waymark.notifications';

/** Everything but the URL, at its default. */
export const AMQP_DEFAULTS: Omit<AmqpConfig, 'url'> = {
  exchange: { name: 'nova', type: 'topic', durable: true },
  queues: [{ name: DEFAULT_QUEUE, bindingKeys: DEFAULT_BINDING_KEYS }],
  prefetch: 4000,
  deadLetterExchange: undefined,
  reconnect: { initialMs: 500, maxMs: 30_000 },
};

/** The URL query parameters waymark reads (the rest, amqplib's `heartbeat`, `frameMax`, ..., go to the connection). */
export const AMQP_URL_PARAMS = [
  'exchange',
  'exchange_type',
  'exchange_durable',
  'queue',
  'binding_keys',
  'prefetch',
  'dead_letter_exchange',
] as const;

/** Query parameters amqplib itself understands. */
export const AMQP_CONNECTION_PARAMS = ['heartbeat', 'frameMax', 'channelMax', 'locale'] as const;

export const AMQP_SECTION_KEYS = [
  'url',
  'exchange',
  'queues',
  'prefetch',
  'dead_letter_exchange',
  'reconnect',
] as const;

/** A URL with secrets hidden, for messages and logs: `amqp://guest:***@host:5672/`. */
export function redactAmqpUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.href;
  } catch {
    return url.replace(/\/\/([^:/@]*):[^@/]*@/, '//$1:***@');
  }
}

/**
 * Split an `amqp://` / `amqps://` URL into the connection URL and its query
 * parameters. Problems (not a URL, another scheme, no host, a bad port, a
 * parameter given twice) are returned as messages.
 *
 * ```ts
 * splitAmqpUrl('amqp://guest:guest@127.0.0.1:5672/?exchange=nova&heartbeat=30');
 * // {url: 'amqp://guest:guest@127.0.0.1:5672/?heartbeat=30', params: Map {exchange => nova}, problems: []}
 * ```
 */
export function splitAmqpUrl(
  text: string,
  known: readonly string[],
): { url: string; params: Map<string, string>; problems: string[] } {
  const problems: string[] = [];
  const params = new Map<string, string>();
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    return {
      url: text,
      params,
      problems: [
        `not a URL: ${JSON.stringify(redactAmqpUrl(text))}; expected amqp://USER:PASSWORD@HOST:5672/VHOST`,
      ],
    };
  }
  if (u.protocol !== 'amqp:' && u.protocol !== 'amqps:') {
    problems.push(
      `unsupported scheme "${u.protocol}" in ${JSON.stringify(redactAmqpUrl(text))}; expected amqp:// or amqps://`,
    );
  }
  if (u.hostname === '')
    problems.push(`no host in ${JSON.stringify(redactAmqpUrl(text))}; expected amqp://HOST:5672/`);
  const keep = new URLSearchParams();
  const allowed = [...known, ...AMQP_CONNECTION_PARAMS];
  for (const [k, v] of u.searchParams) {
    if ((AMQP_CONNECTION_PARAMS as readonly string[]).includes(k)) keep.append(k, v);
    else if (!known.includes(k))
      problems.push(unknownKeyMessage(k, allowed).replace(/^unknown key/, 'unknown URL parameter'));
    else if (params.has(k)) problems.push(`URL parameter "${k}" given twice`);
    else params.set(k, v);
  }
  u.search = keep.toString();
  return { url: u.href, params, problems };
}

function positiveInt(text: string): number | undefined {
  if (!/^\d+$/.test(text)) return undefined;
  const n = Number(text);
  return n >= 1 && n <= 65535 ? n : undefined;
}

function nameList(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/**
 * An {@link AmqpConfig} from a URL such as `serve --amqp` takes: the
 * connection URL plus waymark's query parameters `exchange`, `exchange_type`,
 * `exchange_durable` (true|false), `queue` (a name; `queue=` (empty): publish
 * only), `binding_keys` (comma-separated), `prefetch`, `dead_letter_exchange`.
 * Parameters override `base` (defaults, or the config file's section).
 * Returns every problem as a message.
 *
 * ```ts
 * amqpConfigFromUrl('amqp://guest:guest@127.0.0.1:5672/?exchange=openstack&prefetch=200');
 * // {config: {url: 'amqp://guest:guest@127.0.0.1:5672/', exchange: {name: 'openstack', ...}, prefetch: 200, ...}}
 * ```
 */
export function amqpConfigFromUrl(
  text: string,
  base: Omit<AmqpConfig, 'url'> = AMQP_DEFAULTS,
): { config: AmqpConfig } | { problems: string[] } {
  const { url, params, problems } = splitAmqpUrl(text, AMQP_URL_PARAMS);
  const p = (k: (typeof AMQP_URL_PARAMS)[number]): string | undefined => params.get(k);
  let exchange = base.exchange;
  const exName = p('exchange');
  if (exName !== undefined) {
    if (exName === '')
      problems.push('URL parameter "exchange" is empty; expected an exchange name such as nova');
    else exchange = { ...exchange, name: exName };
  }
  const exType = p('exchange_type');
  if (exType !== undefined) {
    if ((EXCHANGE_TYPES as readonly string[]).includes(exType))
      exchange = { ...exchange, type: exType as ExchangeType };
    else
      problems.push(
        `URL parameter "exchange_type": expected one of ${EXCHANGE_TYPES.join(', ')}, got "${exType}"`,
      );
  }
  const durable = p('exchange_durable');
  if (durable !== undefined) {
    if (durable === 'true' || durable === 'false') exchange = { ...exchange, durable: durable === 'true' };
    else problems.push(`URL parameter "exchange_durable": expected true or false, got "${durable}"`);
  }
  let queues = base.queues;
  const queue = p('queue');
  const keysText = p('binding_keys');
  const keys = keysText === undefined ? undefined : nameList(keysText);
  if (keys !== undefined && keys.length === 0)
    problems.push(
      'URL parameter "binding_keys" is empty; expected routing keys such as notifications.info,notifications.error',
    );
  if (queue !== undefined) {
    queues =
      queue === ''
        ? []
        : [{ name: queue, bindingKeys: keys ?? queues[0]?.bindingKeys ?? DEFAULT_BINDING_KEYS }];
  } else if (keys !== undefined && keys.length > 0) {
    queues = queues.map((q) => ({ ...q, bindingKeys: keys }));
  }
  let prefetch = base.prefetch;
  const pf = p('prefetch');
  if (pf !== undefined) {
    const n = positiveInt(pf);
    if (n === undefined)
      problems.push(`URL parameter "prefetch": expected a whole number from 1 to 65535, got "${pf}"`);
    else prefetch = n;
  }
  let deadLetterExchange = base.deadLetterExchange;
  const dlx = p('dead_letter_exchange');
  if (dlx !== undefined) deadLetterExchange = dlx === '' ? undefined : dlx;
  if (problems.length > 0) return { problems };
  return { config: { url, exchange, queues, prefetch, deadLetterExchange, reconnect: base.reconnect } };
}

/**
 * The `amqp` section of waymark.yaml, every problem recorded with its path:
 *
 * ```yaml
 * amqp:
 *   url: amqp://guest:guest@localhost:5672/       # required; query parameters as in serve --amqp
 *   exchange: nova                                 # or {name: nova, type: topic, durable: true}
 *   queues:                                        # default: waymark.notifications bound with
 *     - {name: waymark.notifications,              #   notifications.info, notifications.error
 *        binding_keys: [notifications.info, notifications.error]}
 *   prefetch: 4000
 *   dead_letter_exchange: waymark.dead             # optional
 *   reconnect: {initial: 500ms, max: 30s}
 * ```
 *
 * Returns `undefined` when the section is absent (or broken beyond use).
 */
export function readAmqpSection(
  v: unknown,
  issues: ConfigIssues,
  values: ConfigValues,
): AmqpConfig | undefined {
  if (v === undefined || v === null) return undefined;
  const at = (...p: (string | number)[]): ConfigPath => ['amqp', ...p];
  if (!isPlainObject(v)) {
    issues.problem(at(), `expected a map with ${AMQP_SECTION_KEYS.join(', ')}, got ${describeType(v)}`);
    return undefined;
  }
  for (const k of Object.keys(v))
    if (!(AMQP_SECTION_KEYS as readonly string[]).includes(k))
      issues.problem(at(k), unknownKeyMessage(k, AMQP_SECTION_KEYS));
  const urlText = values.string(
    v['url'],
    at('url'),
    '',
    'an AMQP URL such as amqp://guest:guest@localhost:5672/',
  );
  if (v['url'] === undefined || v['url'] === null)
    issues.problem(at('url'), 'missing; expected an AMQP URL such as amqp://guest:guest@localhost:5672/');
  const fromUrl = urlText === '' ? undefined : amqpConfigFromUrl(urlText);
  if (fromUrl !== undefined && 'problems' in fromUrl)
    for (const m of fromUrl.problems) issues.problem(at('url'), m);
  // Without a usable URL the other keys are still checked, against the defaults.
  const base =
    fromUrl !== undefined && 'config' in fromUrl ? fromUrl.config : { ...AMQP_DEFAULTS, url: urlText };
  let exchange = base.exchange;
  const ex = v['exchange'];
  if (typeof ex === 'string' && ex !== '') exchange = { ...exchange, name: ex };
  else if (isPlainObject(ex)) {
    for (const k of Object.keys(ex))
      if (!['name', 'type', 'durable'].includes(k))
        issues.problem(at('exchange', k), unknownKeyMessage(k, ['name', 'type', 'durable']));
    exchange = {
      name: values.string(ex['name'], at('exchange', 'name'), exchange.name, 'an exchange name such as nova'),
      type: values.choice(ex['type'], at('exchange', 'type'), exchange.type, EXCHANGE_TYPES),
      durable: values.bool(ex['durable'], at('exchange', 'durable'), exchange.durable),
    };
  } else if (ex !== undefined && ex !== null) {
    issues.problem(
      at('exchange'),
      `expected an exchange name or a map {name, type, durable}, got ${describeType(ex)}`,
    );
  }
  let queues = base.queues;
  const q = v['queues'];
  if (Array.isArray(q)) {
    queues = [];
    q.forEach((item: unknown, i) => {
      if (typeof item === 'string' && item !== '') {
        queues = [...queues, { name: item, bindingKeys: DEFAULT_BINDING_KEYS }];
        return;
      }
      if (!isPlainObject(item)) {
        issues.problem(
          at('queues', i),
          `expected a queue name or a map {name, binding_keys}, got ${describeType(item)}`,
        );
        return;
      }
      for (const k of Object.keys(item))
        if (!['name', 'binding_keys'].includes(k))
          issues.problem(at('queues', i, k), unknownKeyMessage(k, ['name', 'binding_keys']));
      const name = values.string(item['name'], at('queues', i, 'name'), '', 'a queue name');
      if (item['name'] === undefined)
        issues.problem(at('queues', i, 'name'), 'missing; expected a queue name');
      const keys = values.stringList(item['binding_keys'], at('queues', i, 'binding_keys'), 'a routing key');
      if (name !== '')
        queues = [
          ...queues,
          { name, bindingKeys: keys.length === 0 ? DEFAULT_BINDING_KEYS : keys.map((k) => k.value) },
        ];
    });
  } else if (q !== undefined && q !== null) {
    issues.problem(
      at('queues'),
      `expected a list of queues ({name, binding_keys}; [] to only publish), got ${describeType(q)}`,
    );
  }
  const dlx = v['dead_letter_exchange'];
  const reconnect = isPlainObject(v['reconnect']) ? v['reconnect'] : {};
  if (v['reconnect'] !== undefined && v['reconnect'] !== null && !isPlainObject(v['reconnect']))
    issues.problem(at('reconnect'), `expected a map {initial, max}, got ${describeType(v['reconnect'])}`);
  for (const k of Object.keys(reconnect))
    if (!['initial', 'max'].includes(k))
      issues.problem(at('reconnect', k), unknownKeyMessage(k, ['initial', 'max']));
  const initial = values.duration(
    reconnect['initial'],
    at('reconnect', 'initial'),
    base.reconnect.initialMs / 1000,
  );
  const max = values.duration(reconnect['max'], at('reconnect', 'max'), base.reconnect.maxMs / 1000);
  if (max < initial)
    issues.problem(at('reconnect', 'max'), `expected at least reconnect.initial (${initial}s), got ${max}s`);
  return {
    url: base.url,
    exchange,
    queues,
    prefetch: values.int(v['prefetch'], at('prefetch'), base.prefetch, 1, 65535),
    deadLetterExchange:
      dlx === undefined || dlx === null
        ? base.deadLetterExchange
        : values.string(dlx, at('dead_letter_exchange'), '', 'an exchange name') || undefined,
    reconnect: { initialMs: Math.round(initial * 1000), maxMs: Math.round(max * 1000) },
  };
}
