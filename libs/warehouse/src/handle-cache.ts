/** Why a caller gets no handle: the whole cache is closing, or its key was evicted while it opened. */
export type HandleClosedReason = 'closing' | 'evicted';

interface Entry<H> {
  handle: Promise<H>;
  inUse: number;
  lastUsed: number;
  /** Set when evicted: a caller still waiting for the handle must not use it, it is being closed. */
  evicted?: HandleClosedReason;
}

/**
 * Opened handles (engine instances, sessions) memoised by key: opened once even when many
 * callers ask at the same moment, closed when idle or when the cache is over capacity, and never
 * closed while a caller is using one.
 *
 * Opening takes a while (a DuckDB file: tens of ms), and the cache may be closed or the key
 * evicted meanwhile. The handle that appears afterwards is then closed as soon as it exists and
 * the callers waiting for it get `closedError` instead, so nothing is ever handed out that is
 * being closed, and `closeAll()` returns only once every open it owned has settled and closed.
 */
export class HandleCache<H> {
  private readonly entries = new Map<string, Entry<H>>();
  /** Handles evicted but not yet closed, by key; settles (never rejects) once closed. */
  private readonly closing = new Map<string, Promise<void>>();
  /** Set while closeAll() runs: nothing may be opened then, or it would outlive the close. */
  private closingAll?: Promise<void>;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly options: {
      max: number;
      idleMs: number;
      close: (handle: H, key: string) => Promise<void> | void;
      /** The error a caller gets instead of a handle that is being closed. */
      closedError?: (key: string, reason: HandleClosedReason) => Error;
    },
  ) {
    this.startIdleTimer();
  }

  private startIdleTimer(): void {
    const { idleMs } = this.options;
    if (this.timer || !(idleMs > 0 && Number.isFinite(idleMs))) return;
    this.timer = setInterval(() => void this.evictIdle(), Math.max(250, Math.min(idleMs, 30_000)));
    this.timer.unref();
  }

  private closedError(key: string, reason: HandleClosedReason): Error {
    return this.options.closedError?.(key, reason) ?? new Error(reason === 'closing' ? `${key}: closing` : `${key}: closed while it was being opened`);
  }

  /** The handle for `key`, opened with `open` if needed; call release() when done with it. */
  async acquire(key: string, open: () => Promise<H>): Promise<{ handle: H; release: () => Promise<void> }> {
    if (this.closingAll) throw this.closedError(key, 'closing');
    // Closed before, used again: opened afresh, and idle handles are closed again.
    this.startIdleTimer();
    let entry = this.entries.get(key);
    if (!entry) {
      // A handle of this key still closing holds what it opened (a DuckDB file mid-checkpoint):
      // a second one opened beside it would read a write-ahead log the first is about to delete.
      const closing = this.closing.get(key);
      const handle = closing ? closing.then(open) : open();
      const created: Entry<H> = { handle, inUse: 0, lastUsed: Date.now() };
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
    if (held.evicted) {
      // Its eviction closes it now that it exists; this caller must not start on it.
      held.inUse--;
      throw this.closedError(key, held.evicted);
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

  /**
   * Closes the handle for `key` (waiting for current users to finish is the caller's job). One
   * still opening is closed once it exists, and its waiting callers get `closedError` instead.
   */
  async evict(key: string, reason: HandleClosedReason = 'evicted'): Promise<void> {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    entry.evicted = reason;
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

  /**
   * Closes every handle, waiting for those still opening, and for those already being closed.
   * Meanwhile nothing is opened (callers get `closedError`); afterwards the cache opens on demand again.
   */
  async closeAll(): Promise<void> {
    if (this.closingAll) return this.closingAll;
    clearInterval(this.timer);
    this.timer = undefined;
    const done = Promise.all([...this.keys().map((key) => this.evict(key, 'closing')), ...this.closing.values()]).then(() => undefined);
    this.closingAll = done;
    try {
      await done;
    } finally {
      this.closingAll = undefined;
    }
  }
}
