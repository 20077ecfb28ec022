/* The run traits of a phase scan, as one JSON array per run, split into columns (DuckDB and PostgreSQL). */

/**
 * Splits the per-run JSON arrays of run traits into one column per trait,
 * each value as JSON text (`JSON.stringify`, as the live merge of committed
 * events writes it) or null. Each distinct array is decoded once (up to
 * {@link TraitCombos.MAX} of them; runs seldom have more trait combinations).
 */
export class TraitCombos {
  static readonly MAX = 100_000;
  private readonly seen = new Map<string, (string | null)[]>();
  constructor(
    private readonly width: number,
    /** How a stored JSON text is read (PostgreSQL decodes its coded strings). */
    private readonly parse: (text: string) => unknown = JSON.parse,
  ) {}

  split(texts: readonly (string | null)[]): (string | null)[][] {
    const per = Array.from({ length: this.width }, () => new Array<string | null>(texts.length));
    for (let i = 0; i < texts.length; i++) {
      const values = this.values(texts[i] ?? null);
      for (let t = 0; t < this.width; t++) (per[t] as (string | null)[])[i] = values[t] ?? null;
    }
    return per;
  }

  private values(text: string | null): (string | null)[] {
    if (text === null) return [];
    let v = this.seen.get(text);
    if (v === undefined) {
      v = (this.parse(text) as unknown[]).map((x) => (x === null ? null : JSON.stringify(x)));
      if (this.seen.size < TraitCombos.MAX) this.seen.set(text, v);
    }
    return v;
  }
}
