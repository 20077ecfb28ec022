import type { WaymarkEvent } from '../../model/event.js';
import type { EventPosition } from '../page-marker.js';

/**
 * Events kept in (timestamp, message_id) order for range scans. Additions
 * queue up and are merged in on the next read, so a run of commits costs one
 * sort of the new events, not one insertion per event.
 */
export class SortedEvents {
  private sorted: WaymarkEvent[] = [];
  private pending: WaymarkEvent[] = [];

  /** The store's event order: timestamp, then message_id. */
  static compare(this: void, a: WaymarkEvent, b: WaymarkEvent): number {
    const d = a.timestamp.us - b.timestamp.us;
    if (d !== 0) return d;
    return a.message_id < b.message_id ? -1 : a.message_id > b.message_id ? 1 : 0;
  }

  add(e: WaymarkEvent): void {
    this.pending.push(e);
  }

  /** Events from `fromUs` on (inclusive), and after `after` when given, in order. */
  *from(fromUs: number | undefined, after: EventPosition | undefined): Generator<WaymarkEvent> {
    const all = this.all();
    let i = fromUs === undefined ? 0 : this.firstAtOrAfter(fromUs);
    if (after !== undefined) i = Math.max(i, this.firstAfter(after));
    for (; i < all.length; i++) yield all[i] as WaymarkEvent;
  }

  /** Events with `timestamp >= us`. */
  since(us: number): WaymarkEvent[] {
    return this.all().slice(this.firstAtOrAfter(us));
  }

  /** Events with `timestamp < us`. */
  before(us: number): WaymarkEvent[] {
    return this.all().slice(0, this.firstAtOrAfter(us));
  }

  latest(): WaymarkEvent | undefined {
    const all = this.all();
    return all[all.length - 1];
  }

  remove(messageIds: ReadonlySet<string>): void {
    if (messageIds.size > 0) this.sorted = this.all().filter((e) => !messageIds.has(e.message_id));
  }

  private all(): WaymarkEvent[] {
    if (this.pending.length === 0) return this.sorted;
    const add = this.pending.sort(SortedEvents.compare);
    this.pending = [];
    const old = this.sorted;
    const lastOld = old[old.length - 1];
    if (lastOld === undefined || SortedEvents.compare(lastOld, add[0] as WaymarkEvent) <= 0) {
      for (const e of add) old.push(e);
      return old;
    }
    const merged: WaymarkEvent[] = new Array<WaymarkEvent>(old.length + add.length);
    let i = 0;
    let j = 0;
    let k = 0;
    while (i < old.length && j < add.length) {
      const a = old[i] as WaymarkEvent;
      const b = add[j] as WaymarkEvent;
      if (SortedEvents.compare(a, b) <= 0) {
        merged[k++] = a;
        i++;
      } else {
        merged[k++] = b;
        j++;
      }
    }
    while (i < old.length) merged[k++] = old[i++] as WaymarkEvent;
    while (j < add.length) merged[k++] = add[j++] as WaymarkEvent;
    this.sorted = merged;
    return merged;
  }

  /** The first index with `timestamp >= us`. */
  private firstAtOrAfter(us: number): number {
    const all = this.all();
    let lo = 0;
    let hi = all.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((all[mid] as WaymarkEvent).timestamp.us < us) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The first index strictly after (us, messageId). */
  private firstAfter(p: EventPosition): number {
    const all = this.all();
    let lo = 0;
    let hi = all.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const e = all[mid] as WaymarkEvent;
      const le = e.timestamp.us < p.us || (e.timestamp.us === p.us && e.message_id <= p.messageId);
      if (le) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
