import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { ConfigPath } from '../config/config-error.js';

/**
 * Finds lines and columns in a definitions file, following merge keys
 * (`<<: *a`, `<<: [*a, *b]`) into the anchored map, so a problem in a trait
 * inherited through an anchor points at the line where the trait is written.
 * Built only when there are problems to report.
 */
export class MergeAwareLocator {
  private readonly doc: Document;
  private readonly lines = new LineCounter();

  constructor(text: string) {
    this.doc = parseDocument(text, { merge: true, lineCounter: this.lines, prettyErrors: false });
  }

  private resolve(node: unknown): unknown {
    return isAlias(node) ? node.resolve(this.doc) : node;
  }

  /** The pair for `key` in a map, looking through merge keys (own keys first, then merged maps in order). */
  private findPair(map: unknown, key: string, depth = 0): { key: Node | null; value: unknown } | undefined {
    if (!isMap(map) || depth > 20) return undefined;
    const own = map.items.find((p) => isScalar(p.key) && p.key.value === key);
    if (own !== undefined) return { key: own.key as Node | null, value: own.value };
    for (const p of map.items) {
      if (!isScalar(p.key) || (p.key.source !== '<<' && typeof p.key.value !== 'symbol')) continue;
      const v = this.resolve(p.value);
      const sources = isSeq(v) ? v.items.map((i) => this.resolve(i)) : [v];
      for (const s of sources) {
        const hit = this.findPair(s, key, depth + 1);
        if (hit !== undefined) return hit;
      }
    }
    return undefined;
  }

  /**
   * Line and column of `path` (of its key for map entries, of the item for list
   * entries). With `inValue`, points `inValue.offset` characters into the scalar
   * value at `path` (e.g. at the bad character of a field path).
   */
  locate(path: ConfigPath, inValue?: { offset: number }): { line: number; column: number } | undefined {
    let node: unknown = this.doc.contents;
    let found: Node | null | undefined = node as Node | undefined;
    let complete = true;
    for (const seg of path) {
      node = this.resolve(node);
      if (isMap(node)) {
        const pair = this.findPair(node, String(seg));
        if (pair === undefined) {
          complete = false;
          break;
        }
        found = pair.key ?? found;
        node = pair.value;
      } else if (isSeq(node) && typeof seg === 'number') {
        node = node.items[seg];
        if (node === undefined) {
          complete = false;
          break;
        }
        found = node as Node;
      } else {
        complete = false;
        break;
      }
    }
    let start = found?.range?.[0];
    const value = this.resolve(node);
    if (
      complete &&
      inValue !== undefined &&
      isScalar(value) &&
      value.range !== undefined &&
      value.range !== null
    ) {
      const quoted = value.type === 'QUOTE_DOUBLE' || value.type === 'QUOTE_SINGLE';
      start = value.range[0] + (quoted ? 1 : 0) + inValue.offset;
    }
    if (start === undefined) return undefined;
    const pos = this.lines.linePos(start);
    return { line: pos.line, column: pos.col };
  }
}
