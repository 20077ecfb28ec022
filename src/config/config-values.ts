import { isAbsolute, resolve } from 'node:path';
import { parseFixedDuration } from '../model/duration.js';
import { US_PER_SECOND } from '../model/instant.js';
import type { ConfigPath } from './config-error.js';
import type { ConfigIssues } from './problem-list.js';
import { describeType } from './yaml-source.js';

/**
 * Readers of single config values: each returns the value (or the default
 * when absent) and records a problem naming what is expected when the value is
 * wrong, returning the default then so validation goes on.
 */
export class ConfigValues {
  constructor(private readonly issues: ConfigIssues) {}

  /** A whole number in `[min, max]`. */
  int(v: unknown, path: ConfigPath, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) {
      const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`;
      this.issues.problem(path, `expected a whole number ${range}, got ${describeType(v)}`);
      return fallback;
    }
    return v;
  }

  /** A number of seconds, `> 0` (or `>= 0` with `allowZero`). */
  seconds(v: unknown, path: ConfigPath, fallback: number, allowZero = false): number {
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (!allowZero && v === 0)) {
      this.issues.problem(
        path,
        `expected seconds (a number ${allowZero ? '>= 0' : '> 0'}), got ${describeType(v)}`,
      );
      return fallback;
    }
    return v;
  }

  /**
   * A duration: a string such as `30s`, `5m`, `1h 30m` (fixed units only), or
   * a number of seconds. Returns seconds.
   */
  duration<T extends number | undefined>(
    v: unknown,
    path: ConfigPath,
    fallback: T,
    allowZero = false,
  ): number | T {
    if (v === undefined || v === null) return fallback;
    let seconds: number;
    if (typeof v === 'number' && Number.isFinite(v)) seconds = v;
    else if (typeof v === 'string') {
      try {
        seconds = parseFixedDuration(v) / US_PER_SECOND;
      } catch (err) {
        this.issues.problem(path, (err as Error).message);
        return fallback;
      }
    } else {
      this.issues.problem(
        path,
        `expected a duration such as "30s", "5m" or "1h 30m" (or seconds), got ${describeType(v)}`,
      );
      return fallback;
    }
    if (seconds < 0 || (!allowZero && seconds === 0)) {
      this.issues.problem(
        path,
        `expected a duration ${allowZero ? '>= 0' : '> 0'}, got ${JSON.stringify(v)}`,
      );
      return fallback;
    }
    return seconds;
  }

  bool(v: unknown, path: ConfigPath, fallback: boolean): boolean {
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'boolean') {
      this.issues.problem(path, `expected true or false, got ${describeType(v)}`);
      return fallback;
    }
    return v;
  }

  /** A non-empty string. */
  string(v: unknown, path: ConfigPath, fallback: string, what = 'a string'): string {
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'string' || v === '') {
      this.issues.problem(path, `expected ${what}, got ${describeType(v)}`);
      return fallback;
    }
    return v;
  }

  /** One of `choices`. */
  choice<T extends string>(v: unknown, path: ConfigPath, fallback: T, choices: readonly T[]): T {
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'string' || !(choices as readonly string[]).includes(v)) {
      this.issues.problem(path, `expected one of ${choices.join(', ')}, got ${describeType(v)}`);
      return fallback;
    }
    return v as T;
  }

  /** A string or a non-empty list of strings (`[]` when absent). */
  stringList(v: unknown, path: ConfigPath, what: string): { value: string; path: ConfigPath }[] {
    if (v === undefined || v === null) return [];
    if (typeof v === 'string' && v !== '') return [{ value: v, path }];
    if (!Array.isArray(v) || v.length === 0) {
      this.issues.problem(path, `expected ${what} or a non-empty list of them, got ${describeType(v)}`);
      return [];
    }
    const out: { value: string; path: ConfigPath }[] = [];
    v.forEach((item: unknown, i) => {
      if (typeof item === 'string' && item !== '') out.push({ value: item, path: [...path, i] });
      else this.issues.problem([...path, i], `expected ${what}, got ${describeType(item)}`);
    });
    return out;
  }
}

/** `PATH` made absolute against `base` (absolute paths stay as they are). */
export function absoluteFrom(base: string, path: string): string {
  return isAbsolute(path) ? path : resolve(base, path);
}
