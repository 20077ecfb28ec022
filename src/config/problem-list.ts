import { ConfigError, formatConfigPath, type ConfigPath, type ConfigProblem } from './config-error.js';
import { YamlSource } from './yaml-source.js';

/** Where validators record what is wrong (problems) and what merely deserves a word (warnings). */
export interface ConfigIssues {
  /** Something that makes the configuration unusable; reported with every other problem at the end. */
  problem(path: ConfigPath, message: string): void;
  /** Something that loads but should be changed (a deprecated spelling, an ignored key). */
  warn(path: ConfigPath, message: string): void;
}

/**
 * The problems and warnings of one or more YAML files, each located (file,
 * path, line, column) through the file's {@link YamlSource}.
 *
 * ```ts
 * const list = new ProblemList();
 * const source = list.parse('triggers.yaml', text); // undefined on a YAML syntax error (recorded)
 * if (source !== undefined) list.issuesFor(source).problem([0, 'name'], 'expected a string');
 * list.throwIfProblems(); // ConfigError listing everything
 * ```
 */
export class ProblemList {
  readonly problems: ConfigProblem[] = [];
  readonly warnings: ConfigProblem[] = [];

  /** Read and parse a YAML file; an unreadable or malformed file is recorded and gives `undefined`. */
  load(file: string): YamlSource | undefined {
    return this.capture(() => YamlSource.load(file));
  }

  /** Parse YAML text; malformed text is recorded and gives `undefined`. */
  parse(file: string, text: string): YamlSource | undefined {
    return this.capture(() => YamlSource.parse(file, text));
  }

  /** Record the problems of a {@link ConfigError} thrown by `fn` instead of throwing. */
  capture<T>(fn: () => T): T | undefined {
    try {
      return fn();
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      this.problems.push(...err.problems);
      return undefined;
    }
  }

  /** The {@link ConfigIssues} of one source: paths are located in it. */
  issuesFor(source: YamlSource): ConfigIssues {
    const at = (path: ConfigPath, message: string): ConfigProblem => ({
      file: source.file,
      path: formatConfigPath(path),
      message,
      ...(source.locate(path) ?? {}),
    });
    return {
      problem: (path, message) => this.problems.push(at(path, message)),
      warn: (path, message) => this.warnings.push(at(path, message)),
    };
  }

  /** The warnings in file order, then line order (as {@link ConfigError} lists problems). */
  sortedWarnings(): ConfigProblem[] {
    return this.warnings
      .map((p, i) => ({ p, i }))
      .sort(
        (a, b) =>
          (a.p.file === b.p.file ? 0 : a.p.file < b.p.file ? -1 : 1) ||
          (a.p.line ?? Infinity) - (b.p.line ?? Infinity) ||
          (a.p.column ?? 0) - (b.p.column ?? 0) ||
          a.i - b.i,
      )
      .map((x) => x.p);
  }

  /** Throw one {@link ConfigError} with every problem, if there is any. */
  throwIfProblems(): void {
    if (this.problems.length > 0) throw new ConfigError(this.problems);
  }
}
