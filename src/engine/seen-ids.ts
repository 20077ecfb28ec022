/**
 * The duplicate filter: message ids of events by timestamp, kept for a window
 * behind the latest timestamp seen (memory stays flat over long replays).
 * Older events are checked against the store by the engine, which marks the
 * stored ones here with {@link SeenIds.markStored} for the current batch.
 */
export class SeenIds {
  private readonly ids = new Set<string>();
  private readonly buckets = new Map<number, string[]>();
  private readonly storedOld = new Set<string>();
  private readonly bucketUs: number;
  readonly windowUs: number;
  private latestUs = -Infinity;

  constructor(windowSeconds: number) {
    this.windowUs = Math.max(1, Math.round(windowSeconds * 1e6));
    this.bucketUs = Math.max(1, Math.ceil(this.windowUs / 24));
  }

  get size(): number {
    return this.ids.size;
  }

  /** Record an id; false when it was seen before (a duplicate). */
  add(id: string, timestampUs: number): boolean {
    if (this.ids.has(id) || this.storedOld.has(id)) return false;
    this.ids.add(id);
    const b = Math.floor(timestampUs / this.bucketUs);
    let list = this.buckets.get(b);
    if (list === undefined) this.buckets.set(b, (list = []));
    list.push(id);
    if (timestampUs > this.latestUs) this.latestUs = timestampUs;
    return true;
  }

  /** Move the window forward without an id (after a restart). */
  observe(timestampUs: number): void {
    if (timestampUs > this.latestUs) this.latestUs = timestampUs;
  }

  /** Whether an event this old is outside the window (so only the store knows if it is a duplicate). */
  isOutsideWindow(timestampUs: number): boolean {
    return timestampUs < this.latestUs - this.windowUs;
  }

  /** The store says this (old) id is stored: a duplicate, for the current batch. */
  markStored(id: string): void {
    this.storedOld.add(id);
  }

  /** Forget ids that fell out of the window, and the per-batch marks. */
  evict(): void {
    this.storedOld.clear();
    const oldest = Math.floor((this.latestUs - this.windowUs) / this.bucketUs);
    for (const [b, list] of this.buckets) {
      if (b >= oldest) continue;
      for (const id of list) this.ids.delete(id);
      this.buckets.delete(b);
    }
  }
}
