#!/usr/bin/env -S node --max-semi-space-size=64
// A young generation of 64 MiB semi-spaces instead of 16: events live for a batch or two (until
// their commit), so with small semi-spaces most of them were copied once or twice before dying.
// `waymark ingest` of 1,000,000 notifications took 44-48 s with it against 52-62 s without, on
// the benchmark machine (bench/RESULTS.md, 2026-12-07). V8 reads the flag only at start-up, hence
// the shebang (`env -S` splits it); `npm start` and the benchmarks pass it the same way.
import { readFileSync } from 'node:fs';
import { ConfigError } from '../config/config-error.js';
import { WaymarkError } from '../model/errors.js';
import { UsageError, type CliIO } from './command.js';
import { COMMANDS } from './registry.js';

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

function help(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'waymark — watch long multi-step operations through the events they emit',
    '',
    'usage: waymark <command> [flags]      (waymark <command> --help for its flags)',
    '',
    'commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'exit codes: 0 ok, 1 internal error, 2 bad input (flags, config, data)',
  ].join('\n');
}

/** Run the CLI with the given arguments; returns the exit code instead of exiting. */
export async function main(argv: string[], io: CliIO): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(help() + '\n');
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-V') {
    io.stdout.write(version() + '\n');
    return 0;
  }
  const entry = COMMANDS.find((c) => c.name === name);
  if (entry === undefined) {
    io.stderr.write(`waymark: unknown command "${name}"\n\n${help()}\n`);
    return 2;
  }
  const command = (await entry.load()).default;
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout.write(`${command.usage}\n`);
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`${err.message}\n\n${command.usage}\n`);
      return 2;
    }
    if (err instanceof ConfigError || err instanceof WaymarkError) {
      io.stderr.write(`waymark ${name}: ${err.message}\n`);
      return 2;
    }
    io.stderr.write(
      `waymark ${name}: internal error (please report): ${(err as Error).stack ?? String(err)}\n`,
    );
    return 1;
  }
}

const isEntryPoint =
  process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/'));
if (isEntryPoint || process.argv[1]?.endsWith('/waymark') === true) {
  // A closed pipe (`waymark generate | head`) ends the run quietly.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  main(process.argv.slice(2), {
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    stderrIsTTY: process.stderr.isTTY,
    env: process.env,
    cwd: process.cwd(),
  }).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`waymark: ${String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
