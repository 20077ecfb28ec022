import { compileGlob } from '../distill/glob.js';
import { InvalidQueryError } from './store-errors.js';

/** `EventQuery.types` split into plain names and compiled globs. */
export interface EventTypeFilter {
  readonly names: readonly string[];
  readonly globs: readonly RegExp[];
  /** Whether an event type passes (some name equals it or some glob matches). */
  matches(eventType: string): boolean;
}

/**
 * Compile `EventQuery.types`: an entry with `*` or `?` is a glob (fnmatch
 * rules, src/distill/glob.ts), anything else an exact name. Throws
 * {@link InvalidQueryError} for a glob that does not compile.
 */
export function eventTypeFilter(types: readonly string[]): EventTypeFilter {
  const names: string[] = [];
  const globs: RegExp[] = [];
  for (const t of types) {
    if (!t.includes('*') && !t.includes('?')) {
      names.push(t);
      continue;
    }
    const re = compileGlob(t);
    if (!(re instanceof RegExp)) throw new InvalidQueryError(`event type filter: ${re.message}`);
    globs.push(re);
  }
  const nameSet = new Set(names);
  return {
    names,
    globs,
    matches: (eventType) => nameSet.has(eventType) || globs.some((re) => re.test(eventType)),
  };
}
