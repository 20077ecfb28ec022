import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';

/** A fresh temp dir removed after the test. */
export function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'waymark-stats-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The bytes of one field header + values, built by hand (independent of src/stats). */
export function fieldBytes(label: string, type: string, wb: number, values: Buffer): Buffer {
  const l = Buffer.from(label, 'utf8');
  const t = Buffer.from(type, 'ascii');
  const ls = Buffer.alloc(2);
  ls.writeUInt16LE(l.length);
  const ts = Buffer.alloc(2);
  ts.writeUInt16LE(t.length);
  return Buffer.concat([ls, l, ts, t, Buffer.from([wb]), values]);
}
