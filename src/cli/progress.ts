import type { CliIO } from './command.js';

export type ProgressMode = 'tty' | 'json' | 'quiet';

/** What a long job reports: how far it is, and optionally how far it has to go. */
export interface ProgressSnapshot {
  done: number;
  total?: number | undefined;
  /** Extra counters shown after the rate, e.g. `{ bad: 3 }`. */
  extra?: Record<string, number> | undefined;
}

/** `--quiet` wins, then `--json`, then a terminal gets a live line; a pipe gets none. */
export function progressMode(
  io: CliIO,
  flags: { quiet?: boolean | undefined; json?: boolean | undefined },
): ProgressMode {
  if (flags.quiet === true) return 'quiet';
  if (flags.json === true) return 'json';
  return io.stderrIsTTY ? 'tty' : 'quiet';
}

const nf = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '?';
  if (s < 60) return `${Math.ceil(s)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(Math.ceil(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/**
 * The progress line of long commands (generate, distill, ingest, backtest, report)
 * on stderr: redrawn in place on a terminal (at most 5 times a second), one JSON
 * object a second with `--json`, nothing with `--quiet` or when stderr is a pipe.
 */
export class ProgressReporter {
  private readonly started = performance.now();
  private lastDraw = 0;
  private drewLine = false;

  constructor(
    private readonly io: CliIO,
    private readonly mode: ProgressMode,
    private readonly label: string,
    private readonly unit: string,
  ) {}

  update(s: ProgressSnapshot): void {
    if (this.mode === 'quiet') return;
    const now = performance.now();
    if (now - this.lastDraw < (this.mode === 'tty' ? 200 : 1000)) return;
    this.lastDraw = now;
    this.draw(s, false);
  }

  /** The last line: always drawn (unless quiet), then the terminal line is ended. */
  finish(s: ProgressSnapshot): void {
    if (this.mode === 'quiet') return;
    this.draw(s, true);
  }

  private draw(s: ProgressSnapshot, final: boolean): void {
    const elapsed = (performance.now() - this.started) / 1000;
    const rate = elapsed > 0 ? s.done / elapsed : 0;
    const fraction = s.total !== undefined && s.total > 0 ? Math.min(1, s.done / s.total) : undefined;
    const eta = fraction !== undefined && fraction > 0 ? (elapsed / fraction) * (1 - fraction) : undefined;
    if (this.mode === 'json') {
      this.io.stderr.write(
        JSON.stringify({
          progress: this.label,
          unit: this.unit,
          done: s.done,
          ...(s.total === undefined ? {} : { total: s.total }),
          rate_per_s: Math.round(rate),
          elapsed_s: Number(elapsed.toFixed(3)),
          ...(eta === undefined ? {} : { eta_s: Number(eta.toFixed(1)) }),
          ...(s.extra ?? {}),
          final,
        }) + '\n',
      );
      return;
    }
    const parts = [`${this.label}: ${nf.format(s.done)} ${this.unit}`, `${nf.format(rate)}/s`];
    if (fraction !== undefined) parts.push(`${(fraction * 100).toFixed(0)}%`);
    for (const [k, v] of Object.entries(s.extra ?? {})) parts.push(`${k} ${nf.format(v)}`);
    if (final) parts.push(`in ${formatSeconds(elapsed)}`);
    else if (eta !== undefined) parts.push(`ETA ${formatSeconds(eta)}`);
    this.io.stderr.write(`\r\x1b[2K${parts.join('  ')}${final ? '\n' : ''}`);
    this.drewLine = !final;
  }

  /** Clear a half-drawn terminal line before other output goes to stderr. */
  clear(): void {
    if (this.mode === 'tty' && this.drewLine) {
      this.io.stderr.write('\r\x1b[2K');
      this.drewLine = false;
    }
  }
}
