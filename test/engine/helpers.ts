import assert from 'node:assert/strict';
import {
  ConfigError,
  formatConfigPath,
  type ConfigPath,
  type ConfigProblem,
} from '../../src/config/config-error.js';
import type { ConfigIssues } from '../../src/config/problem-list.js';
import type { TraitValue, WaymarkEvent } from '../../src/model/event.js';
import { Instant } from '../../src/model/instant.js';

let seq = 0;

/** An event; string trait values in ISO form with a `Z` become datetimes (as the distiller makes them). */
export function ev(
  eventType: string,
  traits: Record<string, TraitValue> = {},
  timestamp = '2014-06-11T16:00:00Z',
): WaymarkEvent {
  const t = Instant.parse(timestamp);
  const typed: Record<string, TraitValue> = {};
  for (const [k, v] of Object.entries(traits)) {
    typed[k] = typeof v === 'string' && /^\d{4}-\d\d-\d\dT[\d:.]+Z$/.test(v) ? Instant.parse(v) : v;
  }
  return { message_id: `m-${++seq}`, event_type: eventType, timestamp: t, received: t, traits: typed };
}

/** The problems of the ConfigError `fn` throws (fails when it does not throw one). */
export function problemsOf(fn: () => unknown): readonly ConfigProblem[] {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    return err.problems;
  }
  assert.fail('expected a ConfigError');
}

/** The problem at `path` (fails, listing all, when there is none). */
export function find(problems: readonly ConfigProblem[], path: string): ConfigProblem {
  const p = problems.find((x) => x.path === path);
  assert.ok(p, `no problem at ${path}; got:\n${problems.map((x) => `${x.path}: ${x.message}`).join('\n')}`);
  return p;
}

/** A {@link ConfigIssues} that keeps `path: message` lines. */
export function issueLog(): ConfigIssues & { problems: string[]; warnings: string[] } {
  const problems: string[] = [];
  const warnings: string[] = [];
  const line = (path: ConfigPath, message: string): string => `${formatConfigPath(path)}: ${message}`;
  return {
    problems,
    warnings,
    problem: (path, message) => problems.push(line(path, message)),
    warn: (path, message) => warnings.push(line(path, message)),
  };
}
