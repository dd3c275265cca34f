import { WarehouseError } from '../errors';

export interface PoolLimits {
  maxSessions: number;
  idleMs: number;
  acquireTimeoutMs: number;
}

export interface ClosableSession {
  close(): Promise<unknown>;
}

interface Waiter<S> {
  resolve: (lease: Lease<S>) => void;
  reject: (error: unknown) => void;
  timer: NodeJS.Timeout;
}

export interface Lease<S> {
  readonly session: S;
}

interface Entry<S> extends Lease<S> {
  idleTimer?: NodeJS.Timeout;
}

/**
 * A bounded set of warehouse sessions for one tenant. A Databricks session carries the
 * tenant's catalog, so sessions cannot be shared across tenants; the HTTP connection under them
 * is shared (one client per workspace). Callers beyond the bound queue in arrival order; a
 * session idle for `idleMs` is closed.
 */
export class SessionPool<S extends ClosableSession> {
  private readonly idle: Entry<S>[] = [];
  private readonly waiters: Waiter<S>[] = [];
  private size = 0;
  private closed = false;

  constructor(
    private readonly open: () => Promise<S>,
    private readonly limits: PoolLimits,
  ) {}

  get stats() {
    return { size: this.size, idle: this.idle.length, waiting: this.waiters.length };
  }

  async acquire(): Promise<Lease<S>> {
    if (this.closed) throw new WarehouseError('WAREHOUSE_UNAVAILABLE', 'The warehouse connection is closed.');
    const entry = this.idle.pop();
    if (entry) {
      clearTimeout(entry.idleTimer);
      return entry;
    }
    if (this.size < this.limits.maxSessions) return this.openEntry();
    return new Promise<Lease<S>>((resolve, reject) => {
      const waiter: Waiter<S> = {
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters.splice(this.waiters.indexOf(waiter), 1);
          reject(new WarehouseError('WAREHOUSE_UNAVAILABLE', 'Every warehouse session for this tenant stayed busy; try again shortly.'));
        }, this.limits.acquireTimeoutMs),
      };
      this.waiters.push(waiter);
    });
  }

  /** Returns a session; `discard` closes it instead (the server no longer accepts it). */
  release(lease: Lease<S>, discard = false): void {
    const entry = lease as Entry<S>;
    if (discard || this.closed) {
      this.size -= 1;
      void entry.session.close().catch(() => undefined);
      this.serveWaiter();
      return;
    }
    const waiter = this.waiters.shift();
    if (waiter) {
      clearTimeout(waiter.timer);
      waiter.resolve(entry);
      return;
    }
    entry.idleTimer = setTimeout(() => this.evict(entry), this.limits.idleMs);
    entry.idleTimer.unref();
    this.idle.push(entry);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const waiter of this.waiters.splice(0)) {
      clearTimeout(waiter.timer);
      waiter.reject(new WarehouseError('WAREHOUSE_UNAVAILABLE', 'The warehouse connection is closed.'));
    }
    const idle = this.idle.splice(0);
    this.size -= idle.length;
    await Promise.all(
      idle.map((entry) => {
        clearTimeout(entry.idleTimer);
        return entry.session.close().catch(() => undefined);
      }),
    );
  }

  private async openEntry(): Promise<Entry<S>> {
    this.size += 1;
    try {
      return { session: await this.open() };
    } catch (error) {
      this.size -= 1;
      this.serveWaiter();
      throw error;
    }
  }

  /** A session went away: open a replacement for the next waiter, if any. */
  private serveWaiter(): void {
    if (this.closed || this.waiters.length === 0 || this.size >= this.limits.maxSessions) return;
    const waiter = this.waiters.shift()!;
    clearTimeout(waiter.timer);
    this.openEntry().then(waiter.resolve, waiter.reject);
  }

  private evict(entry: Entry<S>): void {
    const index = this.idle.indexOf(entry);
    if (index < 0) return;
    this.idle.splice(index, 1);
    this.size -= 1;
    void entry.session.close().catch(() => undefined);
  }
}
