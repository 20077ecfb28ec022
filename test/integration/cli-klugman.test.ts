import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from '../helpers/run-cli.js';
import { generatedTraffic, postLines, settled, startServe, tempDir } from './serve-process.js';

/** The CLI's read commands, each as `--json` and as a table. */
function commands(id: number, messageId: string): string[][] {
  return [
    ['streams', '--json', '--trigger', 'build_time'],
    ['streams', 'show', String(id), '--json'],
    ['events', '--type', 'compute.instance.create.*', '--limit', '5', '--json'],
    ['meters', '--json'],
    ['explain', messageId, '--json'],
  ];
}

test('waymark streams / streams show / events / meters / explain: the same JSON from the server and from the store', async () => {
  const tmp = tempDir('cli');
  const env = { MMSTATS_PATH: tmp.dir };
  try {
    const server = await startServe(tmp.store, tmp.dir);
    let viaServer: string[];
    let tables: string[];
    let id: number;
    let messageId: string;
    try {
      await postLines(server.url, generatedTraffic(3).lines);
      await settled(server.url);
      const list = await runCli(
        ['streams', '--server', server.url, '--json', '--state', 'completed', '--limit', '1'],
        '',
        env,
      );
      assert.equal(list.code, 0, list.stderr);
      const stream = (JSON.parse(list.stdout) as { streams: { id: number; trigger: string }[] }).streams[0];
      assert.ok(stream);
      id = stream.id;
      const shown = await runCli(['streams', 'show', String(id), '--server', server.url, '--json'], '', env);
      messageId =
        (JSON.parse(shown.stdout) as { events: { message_id: string }[] }).events[0]?.message_id ?? '';
      assert.notEqual(messageId, '');

      viaServer = [];
      for (const args of commands(id, messageId)) {
        const r = await runCli([...args, '--server', server.url], '', env);
        assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
        viaServer.push(r.stdout);
      }
      tables = [];
      for (const args of commands(id, messageId)) {
        const r = await runCli([...args.filter((a) => a !== '--json'), '--server', server.url], '', env);
        assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
        tables.push(r.stdout);
      }
      const up = await runCli(['streams', '--server', server.url, '--json', '--count'], '', env);
      assert.ok((JSON.parse(up.stdout) as { count: number }).count > 0);
    } finally {
      assert.equal(await server.stop(), 0, server.stderr());
    }

    // What the commands printed says what was asked.
    const [streams, show, events, meters, explain] = viaServer.map((s) => JSON.parse(s) as unknown);
    assert.ok(
      (streams as { streams: { trigger: string }[] }).streams.every((s) => s.trigger === 'build_time'),
    );
    assert.equal((show as { id: number }).id, id);
    const evs = (events as { events: { event_type: string }[] }).events;
    assert.equal(evs.length, 5);
    assert.ok(evs.every((e) => e.event_type.startsWith('compute.instance.create.')));
    assert.ok(
      (meters as { name: string; count: number }[]).some((m) => m.name === 'build_seconds' && m.count > 0),
    );
    assert.equal((explain as { message_id: string }).message_id, messageId);
    assert.match(tables[0] ?? '', /build_time/);
    assert.match(tables[1] ?? '', new RegExp(messageId));
    assert.match(tables[3] ?? '', /build_seconds/);
    assert.match(tables[4] ?? '', /build_time: matched/);

    // The server is gone: the same commands straight from the store print the same JSON.
    const gone = await runCli(['meters', '--json', '--server', server.url], '', env);
    assert.equal(gone.code, 2);
    assert.match(gone.stderr, /no waymark server answers/);
    for (const [i, args] of commands(id, messageId).entries()) {
      const r = await runCli([...args, '--store', tmp.store], '', env);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      assert.deepEqual(JSON.parse(r.stdout), JSON.parse(viaServer[i] ?? ''), args.join(' '));
    }
    const missing = await runCli(['streams', 'show', '999999', '--store', tmp.store], '', env);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /999999/);
  } finally {
    tmp.remove();
  }
});

test('waymark streams reset: a completed stream runs again through a server; refused without one; unknown ids named', async () => {
  const tmp = tempDir('cli-reset');
  const env = { MMSTATS_PATH: tmp.dir };
  try {
    const server = await startServe(tmp.store, tmp.dir);
    let id: number;
    try {
      await postLines(server.url, generatedTraffic(5).lines);
      await settled(server.url);
      const list = await runCli(
        ['streams', '--server', server.url, '--json', '--trigger', 'build_time', '--state', 'completed'],
        '',
        env,
      );
      const fired = (JSON.parse(list.stdout) as { streams: { id: number; outcome: string }[] }).streams.find(
        (s) => s.outcome === 'fired',
      );
      assert.ok(fired, list.stdout);
      id = fired.id;
      const reset = await runCli(['streams', 'reset', String(id), '--server', server.url, '--json'], '', env);
      assert.equal(reset.code, 0, reset.stderr);
      const after = JSON.parse(reset.stdout) as { id: number; state: string; outcome: string | null };
      assert.equal(after.id, id);
      // Its fire criteria still hold: it fires again. build_time's pipeline is pure (a meter), so it
      // runs in the reset's own commit: the answer already shows the new fire.
      assert.deepEqual([after.state, after.outcome], ['completed', 'fired'], 'fired again at once');
      const meters = async (): Promise<number> => {
        const m = await runCli(['meters', '--server', server.url, '--json'], '', env);
        const all = JSON.parse(m.stdout) as { name: string; count: number }[];
        return all.find((x) => x.name === 'build_seconds')?.count ?? -1;
      };
      const before = await meters();
      await settled(server.url);
      const shown = await runCli(['streams', 'show', String(id), '--server', server.url, '--json'], '', env);
      const again = JSON.parse(shown.stdout) as { state: string; outcome: string | null };
      assert.deepEqual([again.state, again.outcome], ['completed', 'fired'], 'it fired again');
      const table = await runCli(['streams', 'reset', String(id), '--server', server.url], '', env);
      assert.equal(table.code, 0, table.stderr);
      assert.equal(table.stdout, `stream ${id} ran again: fired\n`);
      assert.equal(await meters(), before + 1, 'the second reset ran the meter once more');

      const missing = await runCli(['streams', 'reset', '987654', '--server', server.url], '', env);
      assert.notEqual(missing.code, 0);
      assert.match(missing.stderr, /987654/);
      assert.match(missing.stderr, /not found|no stream/i);
    } finally {
      assert.equal(await server.stop(), 0, server.stderr());
    }
    const offline = await runCli(['streams', 'reset', String(id), '--store', tmp.store], '', env);
    assert.equal(offline.code, 2);
    assert.match(offline.stderr, /needs the engine: start "waymark serve"/);
  } finally {
    tmp.remove();
  }
});
