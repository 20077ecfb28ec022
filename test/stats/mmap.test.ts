import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { counter, stats } from '../../src/stats/index.js';
import { ADDON_ENV, ADDON_PATH, loadMmap, MmapAddonError } from '../../src/stats/native/mmap.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { tempDir } from './helpers.js';

test('map creates the file rounded up to whole pages, zero-filled', (t) => {
  const file = join(tempDir(t), 'a.mmstats');
  const buf = loadMmap().map(file, 5000);
  assert.equal(buf.length, 8192);
  assert.equal(statSync(file).size, 8192);
  assert.ok(buf.every((b) => b === 0));
  loadMmap().unmap(buf);
});

test('another reader sees writes without msync, and after msync', (t) => {
  const file = join(tempDir(t), 'b.mmstats');
  const mmap = loadMmap();
  const buf = mmap.map(file, 1);
  assert.equal(buf.length, 4096);
  buf.write('hello', 10, 'latin1');
  buf[4095] = 0xab;
  const seen = readFileSync(file);
  assert.equal(seen.toString('latin1', 10, 15), 'hello');
  assert.equal(seen[4095], 0xab);
  mmap.msync(buf);
  assert.equal(readFileSync(file).toString('latin1', 10, 15), 'hello');
  mmap.unmap(buf);
  assert.equal(buf.length, 0, 'the buffer is detached after unmap');
  mmap.unmap(buf); // idempotent
  assert.equal(readFileSync(file).toString('latin1', 10, 15), 'hello', 'the data stays in the file');
});

test('map truncates an existing file', (t) => {
  const file = join(tempDir(t), 'c.mmstats');
  const mmap = loadMmap();
  const a = mmap.map(file, 8192);
  a.fill(7);
  mmap.unmap(a);
  const b = mmap.map(file, 100);
  assert.equal(statSync(file).size, 4096);
  assert.ok(b.every((x) => x === 0));
  mmap.unmap(b);
});

test('bad arguments and paths throw errors, not crashes', (t) => {
  const mmap = loadMmap();
  const dir = tempDir(t);
  assert.throws(() => mmap.map(join(dir, 'no', 'such', 'dir.mmstats'), 4096), /cannot create .*No such file/);
  assert.throws(() => mmap.map(join(dir, 'x'), 0), RangeError);
  assert.throws(() => (mmap.map as unknown as (a: number) => Buffer)(1), TypeError);
  assert.throws(() => mmap.unmap(Buffer.alloc(10)), /not a mapping/);
  assert.ok(!existsSync(join(dir, 'x')));
});

test('a missing addon is a MmapAddonError that says how to fix it', (t) => {
  const dir = tempDir(t);
  const missing = join(dir, 'nope', 'waymark_mmap.node');
  assert.equal(ADDON_ENV, 'WAYMARK_MMAP_ADDON');
  assert.throws(
    () => stats({ path: dir, env: { [ADDON_ENV]: missing }, fields: { c: counter('c') } }),
    (err: unknown) =>
      err instanceof MmapAddonError &&
      err.name === 'MmapAddonError' &&
      err.message.includes(`${missing} (from WAYMARK_MMAP_ADDON) is missing`) &&
      /install g\+\+, make and python3, then run npm rebuild/.test(err.message) &&
      /set WAYMARK_MMAP_ADDON to a built waymark_mmap\.node/.test(err.message),
  );
  assert.deepEqual(readdirSync(dir), [], 'nothing was published');

  const junk = join(dir, 'junk.node');
  writeFileSync(junk, 'not a shared object');
  assert.throws(
    () => loadMmap({ [ADDON_ENV]: junk }),
    (err: unknown) =>
      err instanceof MmapAddonError &&
      /junk\.node \(from WAYMARK_MMAP_ADDON\) does not load \(.+\): install g\+\+/.test(err.message),
  );
  // Pointing it at the built addon works.
  const built = loadMmap({ [ADDON_ENV]: join(REPO_ROOT, ADDON_PATH) });
  assert.equal(built.pageSize, 4096);
});
