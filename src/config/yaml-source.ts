import { readFileSync } from 'node:fs';
import { isMap, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import {
  ConfigError,
  formatConfigPath,
  unknownKeyMessage,
  type ConfigPath,
  type ConfigProblem,
} from './config-error.js';

/**
 * A parsed YAML configuration file that remembers where everything is, so
 * validation problems can name the file, the path and the line.
 *
 * Anchors, aliases and merge keys (`<<: *a`, `<<: [*a, *b]`) are resolved.
 */
export class YamlSource {
  readonly value: unknown;
  private readonly problems: ConfigProblem[] = [];

  private constructor(
    readonly file: string,
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {
    this.value = doc.toJS({ maxAliasCount: 10_000 }) as unknown;
  }

  /** Parse YAML text; syntax errors throw a {@link ConfigError} naming every bad spot. */
  static parse(file: string, text: string): YamlSource {
    const lines = new LineCounter();
    const doc = parseDocument(text, {
      merge: true,
      uniqueKeys: true,
      lineCounter: lines,
      prettyErrors: false,
    });
    if (doc.errors.length > 0) {
      throw new ConfigError(
        doc.errors.map((e) => {
          const pos = lines.linePos(e.pos[0]);
          return {
            file,
            path: '',
            message: `invalid YAML: ${e.message.split('\n')[0] ?? e.code}`,
            line: pos.line,
            column: pos.col,
          };
        }),
      );
    }
    try {
      return new YamlSource(file, doc, lines);
    } catch (cause) {
      throw new ConfigError([{ file, path: '', message: `invalid YAML: ${(cause as Error).message}` }], {
        cause,
      });
    }
  }

  /** Read and parse a file; an unreadable file is a {@link ConfigError} too. */
  static load(file: string): YamlSource {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (cause) {
      const code = (cause as NodeJS.ErrnoException).code;
      throw new ConfigError(
        [
          {
            file,
            path: '',
            message: code === 'ENOENT' ? 'no such file' : `cannot read: ${(cause as Error).message}`,
          },
        ],
        { cause },
      );
    }
    return YamlSource.parse(file, text);
  }

  /** Line and column of the deepest node along `path` that exists in the document. */
  locate(path: ConfigPath): { line: number; column: number } | undefined {
    let node: unknown = this.doc.contents;
    let found: Node | undefined = node as Node | undefined;
    for (const seg of path) {
      if (isMap(node)) {
        const pair = node.items.find((p) => (p.key as { value?: unknown } | null)?.value === seg);
        if (pair === undefined) break;
        found = (pair.key as Node | null) ?? found;
        node = pair.value;
      } else if (isSeq(node) && typeof seg === 'number') {
        node = node.items[seg];
        if (node === undefined) break;
        found = node as Node;
      } else break;
    }
    const start = found?.range?.[0];
    if (start === undefined) return undefined;
    const pos = this.lines.linePos(start);
    return { line: pos.line, column: pos.col };
  }

  /** Record a problem at `path`; nothing is thrown until {@link YamlSource.throwIfProblems}. */
  problem(path: ConfigPath, message: string): void {
    const at = this.locate(path);
    this.problems.push({ file: this.file, path: formatConfigPath(path), message, ...(at ?? {}) });
  }

  /** Record a problem for each key of `obj` that is not in `allowed`. */
  checkKeys(obj: Record<string, unknown>, allowed: readonly string[], path: ConfigPath): void {
    for (const key of Object.keys(obj)) {
      if (!allowed.includes(key)) this.problem([...path, key], unknownKeyMessage(key, allowed));
    }
  }

  get problemCount(): number {
    return this.problems.length;
  }

  /** Throw one {@link ConfigError} with every problem recorded so far, if any. */
  throwIfProblems(): void {
    if (this.problems.length > 0) throw new ConfigError(this.problems.slice());
  }
}

/** `typeof`, but telling arrays and null apart, for "expected X, got Y" messages. */
export function describeType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a map';
  return `${typeof v} ${JSON.stringify(v)}`;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
