import { WaymarkError } from '../model/errors.js';

/** One thing wrong with a configuration file. */
export interface ConfigProblem {
  /** The file, as the user named it. */
  file: string;
  /** Where inside it, e.g. `[2].traits.memory_mb.type` (empty for the whole file). */
  path: string;
  /** What is wrong and what is expected. */
  message: string;
  line?: number;
  column?: number;
}

function formatProblem(p: ConfigProblem): string {
  const where = p.line === undefined ? p.file : `${p.file}:${p.line}:${p.column ?? 1}`;
  return p.path === '' ? `${where}: ${p.message}` : `${where}: ${p.path}: ${p.message}`;
}

/**
 * A configuration that cannot be used. Carries **every** problem found, each with
 * its file, path and what is expected; the message lists them one per line.
 */
export class ConfigError extends WaymarkError {
  override name = 'ConfigError';
  readonly problems: readonly ConfigProblem[];
  constructor(unsorted: readonly ConfigProblem[], options?: { cause?: unknown }) {
    // In file order, then line order (problems without a line last), so the list reads top to bottom.
    const problems = unsorted
      .map((p, i) => ({ p, i }))
      .sort(
        (a, b) =>
          (a.p.file === b.p.file ? 0 : a.p.file < b.p.file ? -1 : 1) ||
          (a.p.line ?? Infinity) - (b.p.line ?? Infinity) ||
          (a.p.column ?? 0) - (b.p.column ?? 0) ||
          a.i - b.i,
      )
      .map((x) => x.p);
    const n = problems.length;
    super(
      n === 1
        ? formatProblem(problems[0] as ConfigProblem)
        : `${n} problems:\n${problems.map((p) => '  ' + formatProblem(p)).join('\n')}`,
      options,
    );
    this.problems = problems;
  }
}

/** A path inside a config document: keys and list indexes. */
export type ConfigPath = readonly (string | number)[];

/** `[2, 'traits', 'memory_mb']` -> `[2].traits.memory_mb`; odd keys are quoted. */
export function formatConfigPath(path: ConfigPath): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/** Levenshtein distance, for "did you mean" hints. */
function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0] as number;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j] as number;
      prev[j] = Math.min(up + 1, (prev[j - 1] as number) + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length] as number;
}

/** The closest of `candidates` to `word`, if close enough to be a likely typo. */
export function didYouMean(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(best.length / 3)) ? best : undefined;
}

/** The message for an unknown key: names the allowed keys and the likely intended one. */
export function unknownKeyMessage(key: string, allowed: readonly string[]): string {
  const guess = didYouMean(key, allowed);
  return `unknown key "${key}"${guess === undefined ? '' : ` (did you mean "${guess}"?)`}; expected one of ${allowed.join(', ')}`;
}
