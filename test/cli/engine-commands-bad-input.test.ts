import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../src/store/open-store.js';
import { runCli } from '../helpers/run-cli.js';

test('the engine commands refuse bad flags with exit 2 and say what they expected', async () => {
  const cases: [string[], RegExp][] = [
    [['serve', '--clock', 'sundial'], /--clock must be "wall" or "event", got "sundial"/],
    [['serve', '--port', 'http'], /--port expects an integer/],
    [['backtest'], /--triggers FILE is required/],
    [
      ['backtest', '--triggers', 'x.yaml', '--from', 'yesterday'],
      /--from expects a timestamp, got "yesterday"/,
    ],
    [['verify'], /--truth FILE is required/],
    [
      ['verify', '--truth', 't.jsonl', '--map', 'nonsense'],
      /--map expects KIND=TRIGGER\[:METER\], got "nonsense"/,
    ],
    [['streams', 'frobnicate', '3'], /unknown action "frobnicate"; expected show, delete or reset/],
    [['streams', 'show'], /which stream\? give its id/],
    [['streams', 'delete', '3'], /add --yes to confirm/],
    [['streams', 'show', 'abc'], /--id expects an integer/],
    [['explain'], /explain/],
    [['ingest', '--lateness', 'soon'], /--lateness/],
  ];
  for (const [args, message] of cases) {
    const r = await runCli(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message, args.join(' '));
  }
});

test('verify: a truth file that is not JSON, or not truth records, is a clear error naming the line', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'waymark-verify-bad-'));
  try {
    const notJson = join(dir, 'a.jsonl');
    writeFileSync(
      notJson,
      '{"kind":"testrun","group_by":"testrun_id","id":"x","outcome":"completed"}\n{oops\n',
    );
    const r1 = await runCli(['verify', '--truth', notJson, '--store', 'memory:']);
    assert.equal(r1.code, 2, r1.stderr);
    assert.match(r1.stderr, /line 2 is not JSON/);
    const notTruth = join(dir, 'b.jsonl');
    writeFileSync(notTruth, '{"kind":"testrun"}\n');
    const r2 = await runCli(['verify', '--truth', notTruth, '--store', 'memory:']);
    assert.equal(r2.code, 2, r2.stderr);
    assert.match(r2.stderr, /line 1 is not a truth record \(needs kind, group_by, id, outcome\)/);
    const r3 = await runCli(['verify', '--truth', join(dir, 'missing.jsonl'), '--store', 'memory:']);
    assert.equal(r3.code, 2, r3.stderr);
    assert.match(r3.stderr, /missing\.jsonl: cannot read/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('ingest of a file of nothing but bad lines keeps every one as a dead letter, with its line number', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'waymark-badlines-'));
  try {
    const lines = Array.from({ length: 2500 }, (_, i) => `{"broken": ${i}`);
    writeFileSync(join(dir, 'bad.jsonl'), lines.join('\n') + '\n');
    const storeUrl = `duckdb:${join(dir, 'w.duckdb')}`;
    const r = await runCli(['ingest', '--quiet', '--store', storeUrl, join(dir, 'bad.jsonl')]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /0 events stored, .* 2,500 dead letters/);
    const store = await openStore(storeUrl);
    try {
      const letters = await store.deadLetters({ limit: 5000 });
      assert.equal(letters.length, 2500);
      const numbers = letters
        .map((d) => Number(/^line (\d+): not JSON/.exec(d.reason)?.[1]))
        .sort((a, b) => a - b);
      assert.deepEqual(
        numbers,
        Array.from({ length: 2500 }, (_, i) => i + 1),
      );
    } finally {
      await store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
