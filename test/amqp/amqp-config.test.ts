import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { amqpConfigFromUrl, redactAmqpUrl } from '../../src/config/amqp-config.js';
import { ConfigError } from '../../src/config/config-error.js';
import { defaultWaymarkConfig, loadWaymarkConfig } from '../../src/config/waymark-config.js';
import { parseAmqpSinkUrl } from '../../src/generate/sinks/amqp-sink.js';
import { reconnectDelay } from '../../src/ingest/amqp/amqp-client.js';
import { effectiveAmqpConfig } from '../../src/runtime/sources.js';
import { runCli } from '../helpers/run-cli.js';

function yaml(text: string): { file: string; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'waymark-amqp-config-'));
  const file = join(dir, 'waymark.yaml');
  writeFileSync(file, text);
  return { file, done: () => rmSync(dir, { recursive: true, force: true }) };
}

test('amqp URL: defaults, parameters, connection parameters kept for amqplib', () => {
  const r = amqpConfigFromUrl('amqp://guest:guest@rabbit:5672/');
  assert.ok('config' in r);
  assert.deepEqual(r.config, {
    url: 'amqp://guest:guest@rabbit:5672/',
    exchange: { name: 'nova', type: 'topic', durable: true },
    queues: [{ name: 'waymark.notifications', bindingKeys: ['notifications.info', 'notifications.error'] }],
    prefetch: 4000,
    deadLetterExchange: undefined,
    reconnect: { initialMs: 500, maxMs: 30_000 },
  });
  const p = amqpConfigFromUrl(
    'amqps://u:p@rabbit/%2fprod?exchange=openstack&exchange_type=direct&exchange_durable=false&queue=w1&binding_keys=a.info,+b.error&prefetch=20&dead_letter_exchange=dead&heartbeat=30',
  );
  assert.ok('config' in p);
  assert.equal(p.config.url, 'amqps://u:p@rabbit/%2fprod?heartbeat=30');
  assert.deepEqual(p.config.exchange, { name: 'openstack', type: 'direct', durable: false });
  assert.deepEqual(p.config.queues, [{ name: 'w1', bindingKeys: ['a.info', 'b.error'] }]);
  assert.equal(p.config.prefetch, 20);
  assert.equal(p.config.deadLetterExchange, 'dead');
  const publishOnly = amqpConfigFromUrl('amqp://h/?queue=');
  assert.ok('config' in publishOnly);
  assert.deepEqual(publishOnly.config.queues, []);
});

test('amqp URL: every problem at once, each saying what is expected; passwords never shown', () => {
  const r = amqpConfigFromUrl(
    'http://u:secret@h/?exchnge=x&exchange_type=fan&exchange_durable=yes&prefetch=0&binding_keys=,&queue=a&queue=b',
  );
  assert.ok('problems' in r);
  const text = r.problems.join('\n');
  assert.match(text, /unsupported scheme "http:".*expected amqp:\/\/ or amqps:\/\//);
  assert.match(
    text,
    /unknown URL parameter "exchnge" \(did you mean "exchange"\?\); expected one of exchange, /,
  );
  assert.match(text, /"exchange_type": expected one of topic, direct, fanout, headers, got "fan"/);
  assert.match(text, /"exchange_durable": expected true or false, got "yes"/);
  assert.match(text, /"prefetch": expected a whole number from 1 to 65535, got "0"/);
  assert.match(text, /"binding_keys" is empty/);
  assert.match(text, /"queue" given twice/);
  assert.doesNotMatch(text, /secret/);
  const notUrl = amqpConfigFromUrl('rabbit:5672');
  assert.ok('problems' in notUrl);
  assert.match(notUrl.problems.join(), /unsupported scheme "rabbit:"/);
  const garbage = amqpConfigFromUrl('not a url');
  assert.ok('problems' in garbage);
  assert.match(
    garbage.problems.join(),
    /not a URL: "not a url"; expected amqp:\/\/USER:PASSWORD@HOST:5672\/VHOST/,
  );
  assert.equal(redactAmqpUrl('amqp://guest:pw@h:5672/'), 'amqp://guest:***@h:5672/');
});

test('serve --amqp overrides the config section; a bad --amqp is a usage error (exit 2) before anything opens', async () => {
  const f = yaml('amqp:\n  url: amqp://guest:guest@a:5672/\n  exchange: glance\n  prefetch: 7\n');
  try {
    const config = loadWaymarkConfig(f.file);
    const merged = effectiveAmqpConfig(config, 'amqp://x:y@b:5673/?queue=mine');
    assert.equal(merged?.url, 'amqp://x:y@b:5673/');
    assert.equal(merged?.exchange.name, 'glance', 'the section is kept where the URL says nothing');
    assert.equal(merged?.prefetch, 7);
    assert.deepEqual(merged?.queues, [
      { name: 'mine', bindingKeys: ['notifications.info', 'notifications.error'] },
    ]);
    assert.equal(effectiveAmqpConfig(defaultWaymarkConfig(), undefined), undefined);
  } finally {
    f.done();
  }
  const cases: [string, RegExp][] = [
    [
      'amqp://guest:guest@h/?prefetch=many',
      /serve: --amqp amqp:\/\/guest:\*\*\*@h\/\?prefetch=many: URL parameter "prefetch": expected a whole number/,
    ],
    ['amqp://h/?exchange=', /"exchange" is empty; expected an exchange name/],
    ['https://h/', /unsupported scheme "https:"/],
    ['amqp://h/?bogus=1', /unknown URL parameter "bogus"/],
  ];
  for (const [url, re] of cases) {
    const r = await runCli(['serve', '--store', 'memory:', '--port', '0', '--amqp', url]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, re);
    assert.equal(r.stdout, '', 'nothing served');
  }
});

test('waymark.yaml amqp section: values read; every problem with its file, line and path', () => {
  const good = yaml(`amqp:
  url: amqp://guest:guest@localhost:5672/?heartbeat=10
  exchange: {name: openstack, type: topic, durable: true}
  queues:
    - {name: w.info, binding_keys: [notifications.info]}
    - w.all
  prefetch: 250
  dead_letter_exchange: w.dead
  reconnect: {initial: 100ms, max: 5s}
`);
  try {
    const c = loadWaymarkConfig(good.file);
    assert.deepEqual(c.amqp, {
      url: 'amqp://guest:guest@localhost:5672/?heartbeat=10',
      exchange: { name: 'openstack', type: 'topic', durable: true },
      queues: [
        { name: 'w.info', bindingKeys: ['notifications.info'] },
        { name: 'w.all', bindingKeys: ['notifications.info', 'notifications.error'] },
      ],
      prefetch: 250,
      deadLetterExchange: 'w.dead',
      reconnect: { initialMs: 100, maxMs: 5000 },
    });
  } finally {
    good.done();
  }
  const bad = yaml(`amqp:
  url: amqp://guest:guest@localhost/?exchange_type=fanoot
  exchange: {name: nova, kind: topic, durable: maybe}
  queues:
    - {binding_keys: notifications.info}
    - 42
  prefetch: 0
  reconnect: {initial: 10s, max: 1s}
  prefech: 3
`);
  try {
    assert.throws(
      () => loadWaymarkConfig(bad.file),
      (e: unknown) => {
        assert.ok(e instanceof ConfigError);
        const at = (path: string, re: RegExp): void => {
          const p = e.problems.find((x) => x.path === path && re.test(x.message));
          assert.ok(p, `${path} ${re}: ${e.message}`);
          assert.equal(p.file, bad.file);
          assert.ok(p.line !== undefined && p.line > 1, `${path} has a line`);
        };
        at('amqp.url', /"exchange_type": expected one of topic, direct, fanout, headers, got "fanoot"/);
        at('amqp.exchange.kind', /unknown key "kind"; expected one of name, type, durable/);
        at('amqp.exchange.durable', /expected true or false/);
        at('amqp.queues[0].name', /missing; expected a queue name/);
        at('amqp.queues[1]', /expected a queue name or a map \{name, binding_keys\}/);
        at('amqp.prefetch', /expected a whole number from 1 to 65535/);
        at('amqp.reconnect.max', /expected at least reconnect.initial/);
        at('amqp.prefech', /unknown key "prefech" \(did you mean "prefetch"\?\)/);
        return true;
      },
    );
  } finally {
    bad.done();
  }
  const noUrl = yaml('amqp:\n  exchange: nova\n');
  try {
    assert.throws(() => loadWaymarkConfig(noUrl.file), /amqp\.url: missing; expected an AMQP URL/);
  } finally {
    noUrl.done();
  }
  const notMap = yaml('amqp: amqp://localhost/\n');
  try {
    assert.throws(() => loadWaymarkConfig(notMap.file), /amqp: expected a map with url, exchange, queues/);
  } finally {
    notMap.done();
  }
});

test('generate --out amqp:// URL: parameters read, bad ones refused with what is expected', () => {
  assert.deepEqual(
    parseAmqpSinkUrl('amqp://guest:guest@127.0.0.1:5672/?exchange=nova&routing_key=notifications.info'),
    {
      url: 'amqp://guest:guest@127.0.0.1:5672/',
      exchange: 'nova',
      exchangeType: 'topic',
      durable: true,
      routingKey: 'notifications.info',
    },
  );
  assert.equal(parseAmqpSinkUrl('amqp://h/').routingKey, undefined, 'routed by priority');
  assert.throws(
    () => parseAmqpSinkUrl('amqp://h/?queue=x'),
    /unknown URL parameter "queue"; expected one of exchange, exchange_type, exchange_durable, routing_key/,
  );
  assert.throws(() => parseAmqpSinkUrl('amqp:///?exchange=x'), /no host in/);
});

test('reconnect backoff: doubles from the first wait, capped, jittered within [half, full]', () => {
  const low = (): number => 0;
  const high = (): number => 1;
  assert.deepEqual(
    [1, 2, 3, 4, 5, 6, 7].map((a) => reconnectDelay(a, 500, 30_000, high)),
    [500, 1000, 2000, 4000, 8000, 16_000, 30_000],
  );
  assert.deepEqual(
    [1, 2, 7, 100].map((a) => reconnectDelay(a, 500, 30_000, low)),
    [250, 500, 15_000, 15_000],
  );
});
