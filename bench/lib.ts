import { readFileSync } from 'node:fs';
/**
 * The benchmark harness: every figure is measured next to a baseline in the same
 * run, on the same input, so RESULTS.md compares like with like.
 */
export interface BenchFigure {
  /** What was measured, e.g. `distill (parse + distill), sandbox definitions`. */
  name: string;
  value: number;
  /** e.g. `notifications/s`. */
  unit: string;
  baseline?: { name: string; value: number };
  /** The target, in words, e.g. `>= 100,000/s and >= 50% of baseline`. */
  target?: string;
  /** Whether the target was met, when it can be judged mechanically. */
  met?: boolean;
  /** Anything else worth a line (input size, MB/s). */
  notes?: string;
}

/**
 * The node flags of the CLI's shebang (`#!/usr/bin/env -S node --flag…`): a
 * benchmark that spawns `node CLI …` passes them, so that it runs the CLI as
 * the `waymark` command does.
 */
export function cliNodeFlags(cli: string): string[] {
  const first = readFileSync(cli, 'utf8').split('\n', 1)[0] ?? '';
  const m = /^#!\/usr\/bin\/env(?: -S)? node((?: --?[\w-]+(?:=\S+)?)*)\s*$/.exec(first);
  if (m === null)
    throw new Error(`${cli}: expected a "#!/usr/bin/env -S node [flags]" first line, got ${first}`);
  return (m[1] ?? '')
    .trim()
    .split(/\s+/)
    .filter((f) => f !== '');
}

export interface BenchSuite {
  title: string;
  run(): Promise<BenchFigure[]>;
}

/**
 * Run `fn` (which does `ops` operations per call) repeatedly for about `ms`
 * milliseconds after a warm-up; returns the best operations per second seen.
 */
export function opsPerSecond(ops: number, fn: () => unknown, ms = 1500): number {
  let sink: unknown;
  const warmUntil = performance.now() + Math.min(500, ms / 3);
  while (performance.now() < warmUntil) sink = fn();
  let best = 0;
  const until = performance.now() + ms;
  do {
    const t0 = performance.now();
    sink = fn();
    const dt = performance.now() - t0;
    if (dt > 0) best = Math.max(best, (ops * 1000) / dt);
  } while (performance.now() < until);
  if (sink === Symbol.for('never')) process.stdout.write('');
  return best;
}
