import type { DuckDBInstance } from '@duckdb/node-api';

/**
 * One open published snapshot. With an idle budget, the blocks DuckDB cached while reading it are
 * given back as soon as no query is reading it: an open snapshot then costs its catalog (about
 * 5 MiB) instead of its catalog and everything its last dashboard touched (another 8-15 MiB for a
 * 5,000-user tenant), while staying open, so the next request reads its blocks again from the OS's
 * page cache (a few ms) instead of reopening the file (60-100 ms).
 */
export class SnapshotReader {
  private reading = 0;
  /** The limit being lowered and raised again: no query may start meanwhile (it could fail for memory). */
  private shrinking?: Promise<void>;

  constructor(
    readonly instance: DuckDBInstance,
    private readonly limits?: { busy: string; idle: string },
  ) {}


  /**
   * Marks a query as reading; call the returned function when it is done. The last reader to leave
   * starts the shrink without waiting for it, so no answer waits on it; the next reader does.
   */
  async enter(): Promise<() => void> {
    while (this.shrinking) await this.shrinking;
    this.reading++;
    let left = false;
    return () => {
      if (left) return;
      left = true;
      if (--this.reading === 0 && this.limits) {
        const { busy, idle } = this.limits;
        this.shrinking = this.shrink(idle, busy).finally(() => (this.shrinking = undefined));
      }
    };
  }

  /** Queries reading it now, for tests. */
  get readers(): number {
    return this.reading;
  }

  /** Bytes DuckDB holds for this snapshot (cached blocks and working memory), for tests and benchmarks. */
  async memoryBytes(): Promise<number> {
    const leave = await this.enter();
    const c = await this.instance.connect();
    try {
      const reader = await c.runAndReadAll('select coalesce(sum(memory_usage_bytes), 0)::bigint as b from duckdb_memory()');
      return Number(reader.getRowObjectsJS()[0].b);
    } finally {
      c.closeSync();
      leave();
    }
  }

  /** Closing waits for a shrink in flight, which uses a connection of its own. */
  async close(): Promise<void> {
    while (this.shrinking) await this.shrinking;
    this.instance.closeSync();
  }

  /**
   * DuckDB's buffer manager evicts unpinned blocks down to a lowered limit and hands their memory
   * back to its allocator; raising the limit again keeps nothing evicted. Eviction is refused
   * when what is left cannot fit (then the cache simply stays until next time).
   */
  private async shrink(idle: string, busy: string): Promise<void> {
    const c = await this.instance.connect();
    try {
      await c.run(`set memory_limit = ${sqlText(idle)}`).catch(() => undefined);
      await c.run(`set memory_limit = ${sqlText(busy)}`);
    } catch {
      // Raising a limit does not fail; if it ever did, the next query's own error would say so.
    } finally {
      c.closeSync();
    }
  }
}

const sqlText = (value: string) => `'${value.replace(/'/g, "''")}'`;
