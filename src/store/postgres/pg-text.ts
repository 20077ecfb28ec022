/**
 * PostgreSQL text cannot hold U+0000, and its JSON operators refuse `\u0000` and
 * lone surrogates (`\ud800`) anywhere in a document, while a JavaScript string
 * (a message id, a trait, a dead letter's raw input) may contain them. So that
 * such input is stored rather than failing the commit (and stopping the
 * engine), strings are written through a reversible code that keeps every other
 * string as it is and keeps code-point order (sorting and comparisons give the
 * same answers, but for lone surrogates):
 *
 * - U+0000 -> U+0001 U+0001
 * - U+0001 -> U+0001 U+0002
 * - a lone surrogate U+DXXX -> U+0001 U+0003 and its four hex digits
 *
 * JSON columns hold `JSON.stringify` of the coded values, which is the
 * stringified text with the same substitution made on its escapes
 * ({@link jsonToPg}); a trait filter compares `->>` with a coded value. (An
 * event-type glob sees the code: its `?` does not match a coded character.)
 */

// eslint-disable-next-line no-control-regex -- U+0000 and U+0001 are exactly what is coded
const NEEDS_CODE = /[\u0000\u0001\ud800-\udfff]/;
// eslint-disable-next-line no-control-regex -- as above
const CODE = /[\u0000\u0001]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** A string as stored. */
export function toPg(s: string): string {
  if (!NEEDS_CODE.test(s)) return s;
  return s.replace(CODE, (c) => {
    if (c === '\u0000') return '\u0001\u0001';
    if (c === '\u0001') return '\u0001\u0002';
    return '\u0001\u0003' + c.charCodeAt(0).toString(16);
  });
}

/** A stored string read back. */
export function fromPg(s: string): string {
  if (!s.includes('\u0001')) return s;
  // eslint-disable-next-line no-control-regex -- as above
  return s.replace(/\u0001(?:\u0001|\u0002|\u0003([0-9a-f]{4}))/g, (m, hex: string | undefined) => {
    if (hex !== undefined) return String.fromCharCode(parseInt(hex, 16));
    return m === '\u0001\u0001' ? '\u0000' : '\u0001';
  });
}

/** `fromPg` of a nullable column. */
export function fromPgOrNull(v: unknown): string | null {
  return v === null || v === undefined ? null : fromPg(v as string);
}

/** `JSON.stringify(value)` as stored: its `\u0000`, `\u0001` and lone-surrogate escapes coded. */
export function jsonToPg(value: unknown): string {
  const text = JSON.stringify(value);
  if (!text.includes('\\u00') && !text.includes('\\ud')) return text;
  // `\\` is matched first so that an escaped backslash followed by "u0000" is left alone.
  return text.replace(/\\(\\|u0000|u0001|ud[89a-f][0-9a-f]{2})/g, (m, e: string) => {
    if (e === '\\') return m;
    if (e === 'u0000') return '\\u0001\\u0001';
    if (e === 'u0001') return '\\u0001\\u0002';
    return '\\u0001\\u0003' + e.slice(1);
  });
}

/** A stored JSON text parsed, its coded strings (and keys) decoded. */
export function jsonFromPg(text: string): unknown {
  if (!text.includes('\\u0001')) return JSON.parse(text);
  const decoded = text.replace(
    /\\(\\|u0001\\u0001|u0001\\u0002|u0001\\u0003([0-9a-f]{4}))/g,
    (m, e: string, hex?: string) => {
      if (e === '\\') return m;
      if (hex !== undefined) return '\\u' + hex;
      return e === 'u0001\\u0001' ? '\\u0000' : '\\u0001';
    },
  );
  return JSON.parse(decoded);
}
