/**
 * Splitting an ingest body into items. Pure: no I/O, no HTTP; the ingest route
 * decides what to answer.
 */

/** Bodies nested deeper than this are refused whole (OpenStack notifications are ~10 deep). */
export const MAX_NESTING_DEPTH = 512;

const TOO_DEEP = `nested more than ${MAX_NESTING_DEPTH} levels deep; expected notifications or events (JSON objects a few levels deep)`;

/** A JSON line that did not parse: dead-lettered with the reason and its 1-based line number. */
export interface BadLine {
  readonly line: number;
  readonly payload: string;
  readonly reason: string;
}

export type SplitBody =
  | {
      readonly ok: true;
      /** How the body was read. */
      readonly format: 'array' | 'object' | 'lines';
      readonly items: unknown[];
      /** Each item's text: its line (JSON lines), the body (one object) or the re-serialised element (array). */
      readonly raw: string[];
      readonly bad: BadLine[];
    }
  | { readonly ok: false; readonly reason: string };

/**
 * How deep brackets nest outside strings, stopping as soon as `limit` is
 * passed (then `limit + 1`). Exact for valid JSON, an estimate for broken text. A linear scan that never recurses, so hostile
 * bodies (100,000 `[`) cost no stack.
 */
export function nestingDepth(text: string, limit: number): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      depth++;
      if (depth > max) {
        max = depth;
        if (max > limit) return max;
      }
    } else if (c === 0x5d /* ] */ || c === 0x7d /* } */) {
      depth--;
    }
  }
  return max;
}

/**
 * Whether `text` nests brackets deeper than `limit`. Depth never exceeds the
 * number of opening brackets, so texts with at most `limit` of them (every real
 * notification: a few dozen) are answered by counting with the native
 * `indexOf`, many times faster than {@link nestingDepth}'s scan of every
 * character; only the rest are scanned.
 */
export function nestsDeeperThan(text: string, limit: number): boolean {
  let openings = 0;
  for (const bracket of ['{', '[']) {
    for (let i = text.indexOf(bracket); i >= 0; i = text.indexOf(bracket, i + 1)) {
      if (++openings > limit) return nestingDepth(text, limit) > limit;
    }
  }
  return false;
}

function tryParse(text: string): { ok: true; value: unknown } | { ok: false; message: string } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (err) {
    return { ok: false, message: (err as Error).message };
  }
}

function splitLines(text: string): SplitBody {
  const items: unknown[] = [];
  const raw: string[] = [];
  const bad: BadLine[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (line === '') continue;
    if (nestsDeeperThan(line, MAX_NESTING_DEPTH)) {
      bad.push({ line: i + 1, payload: line, reason: `line ${i + 1}: ${TOO_DEEP}` });
      continue;
    }
    const parsed = tryParse(line);
    if (parsed.ok) {
      items.push(parsed.value);
      raw.push(line);
    } else {
      bad.push({ line: i + 1, payload: line, reason: `line ${i + 1}: not JSON (${parsed.message})` });
    }
  }
  return { ok: true, format: 'lines', items, raw, bad };
}

function firstNonEmptyLine(text: string): string {
  for (const line of text.split('\n', 64)) {
    if (line.trim() !== '') return line.trim();
  }
  return '';
}

/**
 * Split a request body (already known not to be blank) into items:
 *
 * - `ndjson: true` (`Content-Type: application/x-ndjson`): one JSON value per
 *   line; blank lines skipped; lines that are not JSON go to `bad`.
 * - otherwise the whole body is parsed as JSON first: an array gives its
 *   elements, anything else is one item. When that fails, the body is read as
 *   JSON lines if its first non-blank line is JSON on its own (so one bad line
 *   in the middle costs that line only). A body starting with `[`, or whose
 *   first line is not JSON, is broken JSON: `{ok: false}` with the parser's
 *   message.
 *
 * Nesting deeper than {@link MAX_NESTING_DEPTH} (which would overflow the
 * stack of anything recursive downstream) makes a line bad, or a whole JSON
 * body `{ok: false}`.
 *
 * ```ts
 * splitIngestBody('{"a":1}\nnope\n{"b":2}\n', { ndjson: false });
 * // {ok: true, format: 'lines', items: [{a: 1}, {b: 2}], bad: [{line: 2, …}], …}
 * ```
 */
export function splitIngestBody(text: string, options: { ndjson: boolean }): SplitBody {
  if (options.ndjson) return splitLines(text);
  const whole = tryParse(text);
  if (whole.ok) {
    if (nestsDeeperThan(text, MAX_NESTING_DEPTH)) return { ok: false, reason: `body ${TOO_DEEP}` };
    const value = whole.value;
    if (Array.isArray(value)) {
      const items = value as unknown[];
      return {
        ok: true,
        format: 'array',
        items,
        raw: items.map((v) => JSON.stringify(v) ?? 'null'),
        bad: [],
      };
    }
    return { ok: true, format: 'object', items: [value], raw: [text.trim()], bad: [] };
  }
  const trimmed = text.trimStart();
  if (!trimmed.startsWith('[') && tryParse(firstNonEmptyLine(text)).ok) return splitLines(text);
  return {
    ok: false,
    reason: `body is not valid JSON (${whole.message}); expected a JSON array, a JSON object, or JSON lines (one object per line)`,
  };
}
