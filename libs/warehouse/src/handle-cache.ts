/**
 * Opened handles (engine instances, sessions) memoised by key: opened once even when many
 * callers ask at the same moment, closed when idle or when the cache is over capacity, and never
 * closed while a caller is using one.
 */
export class HandleCache<H> {
  private readonly entries = new Map<string, { handle: Promise<H>; inUse: number; lastUsed: number }>();
  /** Handles evicted but not yet closed, by key; settles (never rejects) once closed. */
  private readonly closing = new Map<string, Promise<void>>();
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly options: { max: number; idleMs: number; close: (handle: H, key: string) => Promise<void> | void },
  ) {
    if (options.idleMs > 0 && Number.isFinite(options.idleMs)) {
      this.timer = setInterval(() => void this.evictIdle(), Math.max(250, Math.min(options.idleMs, 30_000)));
      this.timer.unref();
    }
  }

  /** The handle for `key`, opened with `open` if needed; call release() when done with it. */
  async acquire(key: string, open: () => Promise<H>): Promise<{ handle: H; release: () => Promise<void> }> {
    let entry = this.entries.get(key);
    if (!entry) {
      // A handle of this key still closing holds what it opened (a DuckDB file mid-checkpoint):
      // a second one opened beside it would read a write-ahead log the first is about to delete.
      const closing = this.closing.get(key);
      const handle = closing ? closing.then(open) : open();
      const created = { handle, inUse: 0, lastUsed: Date.now() };
      entry = created;
      this.entries.set(key, created);
      handle.catch(() => this.entries.get(key) === created && this.entries.delete(key));
    } else {
      // Most recently used goes last, so eviction takes from the front.
      this.entries.delete(key);
      this.entries.set(key, entry);
    }
    const held = entry;
    held.inUse++;
    let handle: H;
    try {
      handle = await held.handle;
    } catch (error) {
      held.inUse--;
      throw error;
    }
    let released = false;
    return {
      handle,
      release: async () => {
        if (released) return;
        released = true;
        held.inUse--;
        held.lastUsed = Date.now();
        if (this.entries.size > this.options.max) await this.evictOverCapacity();
      },
    };
  }

  async use<T>(key: string, open: () => Promise<H>, fn: (handle: H) => Promise<T>): Promise<T> {
    const { handle, release } = await this.acquire(key, open);
    try {
      return await fn(handle);
    } finally {
      await release();
    }
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  get size(): number {
    return this.entries.size;
  }

  keys(): string[] {
    return [...this.entries.keys()];
  }

  /** Closes the handle for `key` (waiting for current users to finish is the caller's job). */
  async evict(key: string): Promise<void> {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    const closed = entry.handle.then(
      (handle) => this.options.close(handle, key),
      () => undefined,
    );
    const settled = closed.then(
      () => undefined,
      () => undefined,
    );
    this.closing.set(key, settled);
    try {
      await closed;
    } finally {
      if (this.closing.get(key) === settled) this.closing.delete(key);
    }
  }

  async evictIdle(now = Date.now()): Promise<void> {
    for (const [key, entry] of [...this.entries]) {
      if (entry.inUse === 0 && now - entry.lastUsed >= this.options.idleMs) await this.evict(key);
    }
  }

  private async evictOverCapacity(): Promise<void> {
    for (const [key, entry] of [...this.entries]) {
      if (this.entries.size <= this.options.max) return;
      if (entry.inUse === 0) await this.evict(key);
    }
  }

  async closeAll(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await Promise.all(this.keys().map((key) => this.evict(key)));
  }
}
