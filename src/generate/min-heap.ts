/**
 * A binary min-heap ordered by a numeric key, ties broken by insertion order so
 * the merge is deterministic. Keys and sequence numbers live in parallel arrays
 * (no per-entry wrapper objects).
 */
export class MinHeap<T> {
  private readonly keys: number[] = [];
  private readonly seqs: number[] = [];
  private readonly items: T[] = [];
  private seq = 0;

  get size(): number {
    return this.items.length;
  }

  /** The smallest key, or `Infinity` when empty. */
  peekKey(): number {
    return this.keys.length === 0 ? Infinity : (this.keys[0] as number);
  }

  peek(): T | undefined {
    return this.items[0];
  }

  push(key: number, item: T): void {
    this.keys.push(key);
    this.seqs.push(this.seq++);
    this.items.push(item);
    this.up(this.items.length - 1);
  }

  pop(): T | undefined {
    const n = this.items.length;
    if (n === 0) return undefined;
    const top = this.items[0];
    const lastKey = this.keys.pop() as number;
    const lastSeq = this.seqs.pop() as number;
    const lastItem = this.items.pop() as T;
    if (n > 1) {
      this.keys[0] = lastKey;
      this.seqs[0] = lastSeq;
      this.items[0] = lastItem;
      this.down(0);
    }
    return top;
  }

  /** Give the top entry a new (not smaller) key without a pop and push: one sift-down. */
  replaceTopKey(key: number): void {
    if (this.items.length === 0) return;
    this.keys[0] = key;
    this.seqs[0] = this.seq++;
    this.down(0);
  }

  private less(i: number, j: number): boolean {
    const ki = this.keys[i] as number;
    const kj = this.keys[j] as number;
    return ki < kj || (ki === kj && (this.seqs[i] as number) < (this.seqs[j] as number));
  }

  private swap(i: number, j: number): void {
    const k = this.keys[i] as number;
    this.keys[i] = this.keys[j] as number;
    this.keys[j] = k;
    const s = this.seqs[i] as number;
    this.seqs[i] = this.seqs[j] as number;
    this.seqs[j] = s;
    const t = this.items[i] as T;
    this.items[i] = this.items[j] as T;
    this.items[j] = t;
  }

  private up(i: number): void {
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(i, p)) return;
      this.swap(i, p);
      i = p;
    }
  }

  private down(i: number): void {
    const n = this.items.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) return;
      const r = l + 1;
      const m = r < n && this.less(r, l) ? r : l;
      if (!this.less(m, i)) return;
      this.swap(i, m);
      i = m;
    }
  }
}
