/**
 * Shell-style globs for event types (Python's `fnmatch`, which StackTach and
 * Ceilometer use): `*` any run of characters (dots included), `?` one character,
 * `[abc]`, `[a-z]`, `[!abc]` one character of (or not of) a set.
 */

/** A glob that cannot be compiled; `column` is 1-based inside the glob. */
export interface GlobProblem {
  message: string;
  column: number;
}

function escapeRegExp(s: string): string {
  return s.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
}

const compiled = new Map<string, RegExp | GlobProblem>();
const COMPILED_LIMIT = 1000;

/**
 * Compile one glob (without a leading `!`) to an anchored RegExp, or say what is wrong.
 * Results are kept (the RegExps have no flags, so no state to share): pipelines check and
 * compile their handlers' globs on every run.
 */
export function compileGlob(glob: string): RegExp | GlobProblem {
  let r = compiled.get(glob);
  if (r === undefined) {
    if (compiled.size >= COMPILED_LIMIT) compiled.clear();
    compiled.set(glob, (r = compileGlobOnce(glob)));
  }
  return r;
}

function compileGlobOnce(glob: string): RegExp | GlobProblem {
  if (glob === '')
    return { message: 'empty glob; expected an event type such as "compute.instance.*"', column: 1 };
  let re = '^';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === '*') {
      re += '.*';
    } else if (c === '?') {
      re += '.';
    } else if (c === '[') {
      const close = glob.indexOf(']', glob[i + 1] === '!' || glob[i + 1] === '^' ? i + 3 : i + 2);
      if (close < 0) {
        return {
          message: `bad glob "${glob}" at column ${i + 1}: unterminated "["; expected a character set such as "[abc]" or "[!abc]"`,
          column: i + 1,
        };
      }
      let body = glob.slice(i + 1, close);
      let negate = false;
      if (body.startsWith('!') || body.startsWith('^')) {
        negate = true;
        body = body.slice(1);
      }
      // Keep ranges (a-z); escape everything else that is special inside a class.
      const cls = body.replace(/[\\\]^[]/g, '\\$&');
      for (let k = 0; k + 2 < cls.length; k++) {
        if (cls[k + 1] === '-' && cls[k] !== '\\' && (cls[k] as string) > (cls[k + 2] as string)) {
          return {
            message: `bad glob "${glob}" at column ${i + 1}: range "${cls.slice(k, k + 3)}" goes backwards; write it low to high, e.g. "[a-z]"`,
            column: i + 1,
          };
        }
      }
      re += `[${negate ? '^' : ''}${cls}]`;
      i = close;
    } else {
      re += escapeRegExp(c);
    }
  }
  return new RegExp(re + '$', 's');
}

/** Whether a compiled glob list (includes and excludes) matches an event type. */
export interface EventTypeMatcher {
  (eventType: string): boolean;
}

/**
 * Build the matcher of a definition: matches when some include matches and no
 * exclude does; with only exclusions, everything not excluded matches. Plain
 * names (no wildcard) are compared directly.
 */
export function eventTypeMatcher(includes: readonly RegExp[], excludes: readonly RegExp[]): EventTypeMatcher {
  const inc = includes.length === 0 ? [/^/] : includes;
  return (eventType: string): boolean => {
    let ok = false;
    for (const re of inc) {
      if (re.test(eventType)) {
        ok = true;
        break;
      }
    }
    if (!ok) return false;
    for (const re of excludes) if (re.test(eventType)) return false;
    return true;
  };
}
