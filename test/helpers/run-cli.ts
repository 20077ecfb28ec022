import { PassThrough, Readable } from 'node:stream';
import { main } from '../../src/cli/main.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run `waymark ARGS` in-process with the given stdin; collects output. */
export async function runCli(args: string[], stdin = '', env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (c: Buffer) => out.push(c));
  stderr.on('data', (c: Buffer) => err.push(c));
  const code = await main(args, {
    stdin: Readable.from([Buffer.from(stdin)]),
    stdout,
    stderr,
    stderrIsTTY: false,
    env: { ...env },
    cwd: process.cwd(),
  });
  stdout.end();
  stderr.end();
  return { code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
}
