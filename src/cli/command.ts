import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { Readable, Writable } from 'node:stream';
import { WaymarkError } from '../model/errors.js';
import { parseFixedDuration } from '../model/duration.js';
import type { Micros } from '../model/instant.js';

/** Where a command reads and writes; tests pass their own streams. */
export interface CliIO {
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
  /** Whether stderr is a terminal (progress lines are drawn only then). */
  stderrIsTTY: boolean;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

/** One `waymark <name>` subcommand. Returns the exit code. */
export interface Command {
  name: string;
  summary: string;
  usage: string;
  run(args: string[], io: CliIO): Promise<number>;
}

/** Bad flags or arguments: the CLI prints the message and the usage, and exits 2. */
export class UsageError extends WaymarkError {
  override name = 'UsageError';
}

export type FlagSpec = NonNullable<ParseArgsConfig['options']>;

/** What {@link parseFlags} returns: typed flag values and the positionals. */
export type ParsedFlags<O extends FlagSpec> = ReturnType<
  typeof parseArgs<{ args: string[]; options: O; allowPositionals: true; strict: true }>
>;

/** Flags every long-running command accepts. */
export const OUTPUT_FLAGS = {
  quiet: { type: 'boolean', short: 'q' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies FlagSpec;

/**
 * Strict flag parsing: unknown flags, missing values and stray positionals are
 * {@link UsageError}s that name the command and what it accepts.
 */
export function parseFlags<const O extends FlagSpec>(
  command: string,
  args: string[],
  options: O,
  positionals: { min: number; max: number } = { min: 0, max: 0 },
): ParsedFlags<O> {
  let parsed: ParsedFlags<O>;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (cause) {
    const raw = (cause as Error).message.replace(/\. To specify a positional argument.*$/s, '');
    const known = Object.keys(options)
      .map((k) => `--${k}`)
      .join(', ');
    throw new UsageError(`waymark ${command}: ${raw}; accepted flags: ${known}`, { cause });
  }
  const n = parsed.positionals.length;
  if (n < positionals.min) throw new UsageError(`waymark ${command}: missing argument`);
  if (n > positionals.max) {
    throw new UsageError(
      `waymark ${command}: unexpected argument "${parsed.positionals[positionals.max] ?? ''}"`,
    );
  }
  return parsed;
}

/** A positive (or non-negative) integer flag value, with a message naming the flag. */
export function intFlag(command: string, flag: string, value: string, min = 1): number {
  if (!/^-?\d+$/.test(value.trim()) || Number(value) < min || !Number.isSafeInteger(Number(value))) {
    throw new UsageError(`waymark ${command}: --${flag} expects an integer >= ${min}, got "${value}"`);
  }
  return Number(value);
}

/** A positive number flag value (fractions allowed). */
export function numberFlag(command: string, flag: string, value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) {
    throw new UsageError(`waymark ${command}: --${flag} expects a positive number, got "${value}"`);
  }
  return n;
}

/** A duration flag such as `1d` or `30s`, in microseconds. */
export function durationFlag(command: string, flag: string, value: string): Micros {
  try {
    const us = parseFixedDuration(value);
    if (us <= 0) throw new WaymarkError('must be positive');
    return us;
  } catch (cause) {
    throw new UsageError(`waymark ${command}: --${flag}: ${(cause as Error).message}`, { cause });
  }
}

/** Write to a stream and wait when it asks us to (back-pressure); one implementation, shared with the sinks. */
export { writeWithBackpressure as writeAll } from '../generate/sinks/write-stream.js';
