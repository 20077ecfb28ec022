import type { DuckDBConnectionSlice, DuckDBInstanceSlice, SqlParam } from './duckdb-client.js';

/** Run one read statement; rows as DuckDB values. */
export type Query = (sql: string, params?: SqlParam[]) => Promise<unknown[][]>;

/**
 * Connections for reads, apart from the writer's: each read sees the last
 * committed state (DuckDB's MVCC), never a commit in progress. A connection
 * runs one statement at a time; up to `max` reads run at once, the rest wait.
 */
export class ReadPool {
  private readonly idle: DuckDBConnectionSlice[] = [];
  private readonly waiting: ((c: DuckDBConnectionSlice) => void)[] = [];
  private created = 0;
  private busy = 0;
  private drained: (() => void) | undefined;

  constructor(
    private readonly instance: DuckDBInstanceSlice,
    private readonly max = 4,
  ) {}

  /** One statement on a pooled connection. */
  read: Query = (sql, params) => this.use(async (c) => (await c.runAndReadAll(sql, params)).getRows());

  /** Several statements that must see the same committed state (one read transaction). */
  snapshot<T>(fn: (q: Query) => Promise<T>): Promise<T> {
    return this.use(async (c) => {
      await c.run('BEGIN TRANSACTION');
      try {
        const out = await fn(async (sql, params) => (await c.runAndReadAll(sql, params)).getRows());
        await c.run('COMMIT');
        return out;
      } catch (e) {
        await c.run('ROLLBACK').catch(() => undefined);
        throw e;
      }
    });
  }

  /**
   * A connection of the pool for a streamed read (results fetched chunk by
   * chunk); `release` must be called once done, even on error.
   */
  async lease(): Promise<{ conn: DuckDBConnectionSlice; release: () => void }> {
    this.busy++;
    let conn: DuckDBConnectionSlice;
    try {
      conn = await this.acquire();
    } catch (e) {
      this.done();
      throw e;
    }
    let released = false;
    return {
      conn,
      release: () => {
        if (released) return;
        released = true;
        this.release(conn);
        this.done();
      },
    };
  }

  /** Waits for the reads in flight, then closes every connection. */
  async close(): Promise<void> {
    if (this.busy > 0) await new Promise<void>((resolve) => (this.drained = resolve));
    for (const c of this.idle.splice(0)) c.closeSync();
  }

  private async use<T>(fn: (c: DuckDBConnectionSlice) => Promise<T>): Promise<T> {
    this.busy++;
    try {
      const c = await this.acquire();
      try {
        return await fn(c);
      } finally {
        this.release(c);
      }
    } finally {
      this.done();
    }
  }

  private done(): void {
    this.busy--;
    if (this.busy === 0) this.drained?.();
  }

  private async acquire(): Promise<DuckDBConnectionSlice> {
    const c = this.idle.pop();
    if (c !== undefined) return c;
    if (this.created < this.max) {
      this.created++;
      try {
        return await this.instance.connect();
      } catch (e) {
        this.created--;
        throw e;
      }
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(c: DuckDBConnectionSlice): void {
    const next = this.waiting.shift();
    if (next !== undefined) next(c);
    else this.idle.push(c);
  }
}
