import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openStore } from '../../src/store/open-store.js';
import { runCli } from '../helpers/run-cli.js';
import { generatedTraffic, tempDir } from './serve-process.js';

interface IngestSummary {
  lines: number;
  events: number;
  no_definition: number;
  dead_letters: number;
}

test('waymark ingest: broken lines and non-notifications are counted and kept as dead letters; bad files and flags exit 2', async () => {
  const tmp = tempDir('ingest');
  const env = { MMSTATS_PATH: tmp.dir };
  try {
    const good = generatedTraffic(5).lines.slice(0, 50);
    const file = join(tmp.dir, 'mixed.jsonl');
    const bad = [
      '{"message_id": "cut',
      'not json at all',
      '{"hello": "world"}',
      '[1, 2, 3]',
      '{"oslo.version": "2.0", "oslo.message": "{nope"}',
    ];
    writeFileSync(file, [...good.slice(0, 20), ...bad, '', ...good.slice(20)].join('\n') + '\n');
    const r = await runCli(['ingest', '--json', '--store', tmp.store, file], '', env);
    assert.equal(r.code, 0, r.stderr);
    const summary = JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as IngestSummary;
    assert.equal(summary.lines, good.length + bad.length);
    assert.equal(summary.dead_letters, bad.length);
    assert.equal(summary.events + summary.no_definition, good.length);

    const empty = join(tmp.dir, 'empty.jsonl');
    writeFileSync(empty, '');
    const e = await runCli(['ingest', '--json', '--store', tmp.store, empty], '', env);
    assert.equal(e.code, 0, e.stderr);
    const es = JSON.parse(e.stdout.trim()) as IngestSummary;
    assert.equal(es.lines, 0);
    assert.equal(es.dead_letters, 0);

    const missing = await runCli(['ingest', '--store', tmp.store, join(tmp.dir, 'no-such.jsonl')], '', env);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /no-such\.jsonl: no such file/);
    const clock = await runCli(['ingest', '--clock', 'bogus', '--store', tmp.store, file], '', env);
    assert.equal(clock.code, 2);
    assert.match(clock.stderr, /--clock must be "event" or "wall", got "bogus"/);

    const store = await openStore(tmp.store);
    try {
      assert.equal(await store.countDeadLetters(), bad.length, 'the refused runs added no dead letters');
      const letters = await store.deadLetters({ limit: 100 });
      for (const line of bad) {
        const d = letters.find((l) => l.payload === line);
        assert.ok(d, `dead letter for ${line}`);
        assert.match(d.reason, /^line \d+: /);
        assert.equal(d.source, `file:${file}`);
      }
      assert.match(letters.find((l) => l.payload === '{"hello": "world"}')?.reason ?? '', /event_type/);
      assert.equal(await store.countEvents({}), summary.events);
    } finally {
      await store.close();
    }
  } finally {
    tmp.remove();
  }
});

test('waymark verify --truth: 100% on a clean generated day; exits 1 naming the operation after a fired stream is deleted', async () => {
  const tmp = tempDir('verify');
  const env = { MMSTATS_PATH: tmp.dir };
  try {
    const traffic = join(tmp.dir, 'traffic.jsonl');
    const truth = join(tmp.dir, 'truth.jsonl');
    const gen = await runCli(
      [
        'generate',
        '--duration',
        '30m',
        '--ops-per-minute',
        '30',
        '--seed',
        '9',
        '--truth',
        truth,
        '--out',
        traffic,
        '--quiet',
      ],
      '',
      env,
    );
    assert.equal(gen.code, 0, gen.stderr);
    const ing = await runCli(['ingest', '--finish', '--quiet', '--store', tmp.store, traffic], '', env);
    assert.equal(ing.code, 0, ing.stderr);

    const ok = await runCli(['verify', '--truth', truth, '--store', tmp.store], '', env);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /precision 100\.00%, recall 100\.00%/);

    const list = await runCli(
      ['streams', '--trigger', 'build_time', '--state', 'completed', '--json', '--store', tmp.store],
      '',
      env,
    );
    assert.equal(list.code, 0, list.stderr);
    const victim = (
      JSON.parse(list.stdout) as {
        streams: { id: number; outcome: string; distinguished_by: { instance_id: string } }[];
      }
    ).streams.find((s) => s.outcome === 'fired');
    assert.ok(victim);
    const no = await runCli(['streams', 'delete', String(victim.id), '--store', tmp.store], '', env);
    assert.equal(no.code, 2, 'delete without --yes is refused');
    const del = await runCli(
      ['streams', 'delete', String(victim.id), '--yes', '--store', tmp.store],
      '',
      env,
    );
    assert.equal(del.code, 0, del.stderr);
    assert.match(del.stdout, new RegExp(`deleted stream ${victim.id}`));

    const bad = await runCli(['verify', '--truth', truth, '--store', tmp.store], '', env);
    assert.equal(bad.code, 1, bad.stdout + bad.stderr);
    assert.match(bad.stdout, /1 mismatches/);
    assert.ok(
      bad.stdout.includes(`compute.instance.create ${victim.distinguished_by.instance_id}: expected`),
      bad.stdout,
    );
    const json = await runCli(['verify', '--truth', truth, '--store', tmp.store, '--json'], '', env);
    assert.equal(json.code, 1);
    const report = JSON.parse(json.stdout) as { mismatches: { id: string }[]; recall: number };
    assert.deepEqual(
      report.mismatches.map((m) => m.id),
      [victim.distinguished_by.instance_id],
    );
    assert.ok(report.recall < 1);
  } finally {
    tmp.remove();
  }
});
