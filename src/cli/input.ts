import { createReadStream, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { WaymarkError } from '../model/errors.js';
import type { CliIO } from './command.js';

/**
 * A file, or stdin for `-` or nothing; a missing file or a directory is a
 * WaymarkError naming it. Chunks are UTF-8 text, or with `raw` the bytes as read
 * (a consumer decoding elsewhere, e.g. in a worker thread).
 */
export function openInput(io: CliIO, input: string | undefined, raw = false): Readable {
  if (input === undefined || input === '-') {
    if (!raw) io.stdin.setEncoding('utf8');
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
  return createReadStream(
    path,
    raw ? { highWaterMark: 1 << 20 } : { encoding: 'utf8', highWaterMark: 1 << 20 },
  );
}

/** The input's text chunks; a read error becomes a WaymarkError naming the input. */
export async function* chunksOf(input: Readable, name: string): AsyncGenerator<string> {
  for await (const chunk of rawChunksOf(input, name)) yield typeof chunk === 'string' ? chunk : String(chunk);
}

/** The input's chunks as they come (strings, or bytes from a stream without an encoding); read errors as in {@link chunksOf}. */
export async function* rawChunksOf(input: Readable, name: string): AsyncGenerator<string | Uint8Array> {
  try {
    for await (const chunk of input) yield chunk as string | Uint8Array;
  } catch (cause) {
    throw new WaymarkError(`cannot read input ${name}: ${(cause as Error).message}`, { cause });
  }
}

/**
 * Splits text that arrives in chunks into lines, without their line ends (`\n`
 * or `\r\n`); blank lines included. `push` returns the lines a chunk completed,
 * `end` the unterminated last one, if any.
 */
export class LineSplitter {
  private pending = '';

  push(chunk: string): string[] {
    const text = this.pending + chunk;
    const parts = text.split('\n');
    this.pending = parts.pop() ?? '';
    return parts.map(stripCR);
  }

  end(): string[] {
    const last = this.pending;
    this.pending = '';
    return last === '' ? [] : [stripCR(last)];
  }
}

const stripCR = (l: string): string => (l.endsWith('\r') ? l.slice(0, -1) : l);

/** The input as lines, a chunk at a time, without their line ends (`\n` or `\r\n`); blank lines included. */
export async function* linesOf(input: Readable, name: string): AsyncGenerator<string[]> {
  const split = new LineSplitter();
  for await (const chunk of chunksOf(input, name)) yield split.push(chunk);
  const last = split.end();
  if (last.length > 0) yield last;
}
