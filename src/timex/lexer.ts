/** The tokens of the timex language. Positions are 0-based offsets into the source. */
export type TokenKind = 'var' | 'ident' | 'number' | '+' | '-' | '@' | '(' | ')' | 'end';

export interface Token {
  kind: TokenKind;
  /** The text as written (the variable name without `$` for `var`). */
  text: string;
  start: number;
  end: number;
}

/** Thrown by {@link tokenize}; the parser turns it into a `TimexSyntaxError`. */
export class LexError extends Error {
  constructor(
    readonly problem: string,
    readonly offset: number,
    readonly hint?: string,
  ) {
    super(problem);
  }
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isLetter(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

function isIdentStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

function isIdentPart(c: number): boolean {
  return isIdentStart(c) || isDigit(c);
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13;
}

/** Split an expression into tokens; the last one is always `end`. */
export function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const n = src.length;
  while (i < n) {
    const c = src.charCodeAt(i);
    if (isSpace(c)) {
      i++;
      continue;
    }
    const start = i;
    if (c === 36 /* $ */) {
      i++;
      if (i >= n || !isIdentStart(src.charCodeAt(i))) {
        throw new LexError(
          "expected a variable name after '$'",
          i,
          'names start with a letter or _, e.g. $last or $audit_period_beginning',
        );
      }
      while (i < n && isIdentPart(src.charCodeAt(i))) i++;
      tokens.push({ kind: 'var', text: src.slice(start + 1, i), start, end: i });
    } else if (isDigit(c)) {
      while (i < n && isDigit(src.charCodeAt(i))) i++;
      if (i < n && src.charCodeAt(i) === 46 /* . */) {
        i++;
        if (i >= n || !isDigit(src.charCodeAt(i))) {
          throw new LexError("expected a digit after '.'", i);
        }
        while (i < n && isDigit(src.charCodeAt(i))) i++;
      }
      tokens.push({ kind: 'number', text: src.slice(start, i), start, end: i });
      // A unit written right after its number is letters only, so `1h30m` is 1 h 30 m.
      if (i < n && isLetter(src.charCodeAt(i))) {
        const unitStart = i;
        while (i < n && isLetter(src.charCodeAt(i))) i++;
        tokens.push({ kind: 'ident', text: src.slice(unitStart, i), start: unitStart, end: i });
      }
    } else if (isIdentStart(c)) {
      while (i < n && isIdentPart(src.charCodeAt(i))) i++;
      tokens.push({ kind: 'ident', text: src.slice(start, i), start, end: i });
    } else if (c === 43 || c === 45 || c === 64 || c === 40 || c === 41) {
      const text = src[i] as '+' | '-' | '@' | '(' | ')';
      i++;
      tokens.push({ kind: text, text, start, end: i });
    } else {
      const ch = String.fromCodePoint(src.codePointAt(i) ?? c);
      throw new LexError(
        `unexpected '${ch}'`,
        i,
        "timex knows $variables, numbers with units, hour/day/month/year, '+', '-', '@', 'to' and parentheses",
      );
    }
  }
  tokens.push({ kind: 'end', text: '', start: n, end: n });
  return tokens;
}
