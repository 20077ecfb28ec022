import type { Micros } from '../model/instant.js';
import type { Rng } from './rng.js';

/** A simulated instance, with whatever attributes a scenario keeps for its payloads. */
export interface PooledInstance<A = Record<string, unknown>> {
  id: string;
  createdAt: Micros;
  /** Busy with an operation until this time; idle when `busyUntil <= now`. */
  busyUntil: Micros;
  attrs: A;
}

/**
 * The live instances of a simulated cloud. Scenarios use it to keep sequences
 * possible: an operation takes an idle instance and holds it until the
 * operation's last notification; a delete removes it, so nothing happens to an
 * instance after its delete and no two operations overlap on one instance.
 */
export class InstancePool<A = Record<string, unknown>> {
  private readonly byId = new Map<string, PooledInstance<A>>();
  private readonly ids: string[] = [];
  /** Position of each id in `ids`, so removal is O(1) (swap with the last). */
  private readonly slot = new Map<string, number>();

  get size(): number {
    return this.byId.size;
  }

  /** A new instance, busy until its create operation ends. */
  add(id: string, createdAt: Micros, busyUntil: Micros, attrs: A): PooledInstance<A> {
    const inst = { id, createdAt, busyUntil, attrs };
    this.byId.set(id, inst);
    this.slot.set(id, this.ids.length);
    this.ids.push(id);
    return inst;
  }

  get(id: string): PooledInstance<A> | undefined {
    return this.byId.get(id);
  }

  /**
   * A random instance that is idle at `now`, marked busy until `busyUntil`;
   * `undefined` if none is idle (a few random probes, then a scan).
   */
  acquire(rng: Rng, now: Micros, busyUntil: Micros): PooledInstance<A> | undefined {
    if (this.ids.length === 0) return undefined;
    let found: PooledInstance<A> | undefined;
    for (let i = 0; i < 8 && found === undefined; i++) {
      const cand = this.byId.get(rng.pick(this.ids));
      if (cand !== undefined && cand.busyUntil <= now) found = cand;
    }
    if (found === undefined) {
      const start = rng.int(0, this.ids.length - 1);
      for (let i = 0; i < this.ids.length && found === undefined; i++) {
        const cand = this.byId.get(this.ids[(start + i) % this.ids.length] as string);
        if (cand !== undefined && cand.busyUntil <= now) found = cand;
      }
    }
    if (found !== undefined) found.busyUntil = busyUntil;
    return found;
  }

  /** Forget a deleted instance. */
  remove(id: string): void {
    if (!this.byId.delete(id)) return;
    const i = this.slot.get(id) as number;
    const last = this.ids.pop() as string;
    this.slot.delete(id);
    if (last !== id) {
      this.ids[i] = last;
      this.slot.set(last, i);
    }
  }

  /** Every live instance (insertion order, deterministic). */
  *live(): IterableIterator<PooledInstance<A>> {
    yield* this.byId.values();
  }
}
