import { createReadStream, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { WaymarkError } from '../model/errors.js';
import type { CliIO } from './command.js';

/** A file, or stdin for `-` or nothing; a missing file or a directory is a WaymarkError naming it. */
export function openInput(io: CliIO, input: string | undefined): Readable {
  if (input === undefined || input === '-') {
    io.stdin.setEncoding('utf8');
    return io.stdin;
  }
  const path = resolve(io.cwd, input);
  try {
    if (statSync(path).isDirectory()) throw new WaymarkError(`cannot read input ${input}: it is a directory`);
  } catch (cause) {
    if (cause instanceof WaymarkError) throw cause;
    const code = (cause as NodeJS.ErrnoException).code;
    throw new WaymarkError(
      `cannot read input ${input}: ${code === 'ENOENT' ? 'no such file' : (cause as Error).message}`,
      { cause },
    );
  }
  return createReadStream(path, { encoding: 'utf8', highWaterMark: 1 << 20 });
}

/** The input's text chunks; a read error becomes a WaymarkError naming the input. */
export async function* chunksOf(input: Readable, name: string): AsyncGenerator<string> {
  try {
    for await (const chunk of input) yield typeof chunk === 'string' ? chunk : String(chunk);
  } catch (cause) {
    throw new WaymarkError(`cannot read input ${name}: ${(cause as Error).message}`, { cause });
  }
}

/** The input as lines, a chunk at a time, without their line ends (`\n` or `\r\n`); blank lines included. */
export async function* linesOf(input: Readable, name: string): AsyncGenerator<string[]> {
  let pending = '';
  for await (const chunk of chunksOf(input, name)) {
    const text = pending + chunk;
    const parts = text.split('\n');
    pending = parts.pop() ?? '';
    yield parts.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  }
  if (pending !== '') yield [pending.endsWith('\r') ? pending.slice(0, -1) : pending];
}
