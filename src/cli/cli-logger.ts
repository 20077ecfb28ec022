import type { EngineLogger } from '../engine/engine.js';
import type { CliIO } from './command.js';
import type { ProgressMode } from './progress.js';

/** A logger that can say how many warnings it held back. */
export interface CliLogger extends EngineLogger {
  /** Warnings not printed (not verbose), by message prefix up to the first colon. */
  readonly heldBack: Map<string, number>;
  /** One line per kind of held-back warning, e.g. `warn: 412 × usage (use --verbose to see them)`. */
  summary(): string;
}

/**
 * Log lines of commands on stderr (JSON objects with --json). Errors always;
 * warnings always when `verbose`, else counted and summarised at the end (a
 * replay can raise thousands of the same one); info only when `verbose`.
 */
export function cliLogger(io: CliIO, mode: ProgressMode, verbose = false): CliLogger {
  const heldBack = new Map<string, number>();
  const write = (level: string, message: string, fields?: Record<string, unknown>): void => {
    if (mode === 'json') {
      io.stderr.write(JSON.stringify({ log: level, message, ...(fields ?? {}) }) + '\n');
      return;
    }
    const extra = fields === undefined ? '' : ' ' + JSON.stringify(fields);
    io.stderr.write(`${level}: ${message}${extra}\n`);
  };
  return {
    heldBack,
    info: (m, f) => {
      if (verbose) write('info', m, f);
    },
    warn: (m, f) => {
      if (verbose) return write('warn', m, f);
      const kind = m.split(':')[0] ?? m;
      heldBack.set(kind, (heldBack.get(kind) ?? 0) + 1);
    },
    error: (m, f) => write('error', m, f),
    summary() {
      return [...heldBack].map(([kind, n]) => `warn: ${n} × ${kind} (use --verbose to see them)\n`).join('');
    },
  };
}
