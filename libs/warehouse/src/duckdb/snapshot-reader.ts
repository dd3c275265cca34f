import type { DuckDBConnection, DuckDBInstance, DuckDBPreparedStatement } from '@duckdb/node-api';
import { WarehouseError } from '../errors';

/** What an open snapshot may keep cached while unread, and when it gives the rest back. */
export interface IdleBudget {
  /** The memory limit while queries read it (what it was opened with). */
  busy: string;
  /** The limit it is lowered to, to give back its cached blocks. */
  idle: string;
  /** How long no query must have read it before it gives back (0: as soon as its last reader leaves). */
  afterMs: number;
  /** The snapshots of the same process waiting to give back: only the one read last may wait, until another is read. */
  waiting: WaitingSnapshots;
}

/**
 * The open snapshots of one process whose last query left and that still hold their cache, waiting
 * out their delay: only the one read last, and only until a query enters another one. So the
 * tenant being looked at keeps its cache between screens, while the gateway holds at most that one
 * snapshot's cache more than if every snapshot gave back at once (with 20 tenants asked in turn,
 * every snapshot waiting its 2 s held 60 MiB more at the peak).
 */
export class WaitingSnapshots {
  private readonly readers = new Set<SnapshotReader>();

  /** `reader` is entered by a query or starts waiting: every other one gives back now. */
  only(reader: SnapshotReader): void {
    for (const other of [...this.readers]) {
      if (other === reader) continue;
      this.readers.delete(other);
      other.giveBackNow();
    }
  }

  add(reader: SnapshotReader): void {
    this.only(reader);
    this.readers.add(reader);
  }

  remove(reader: SnapshotReader): void {
    this.readers.delete(reader);
  }
}

/**
 * Connections kept open between queries. Opening one is a round trip through libuv's thread pool
 * (about 1 ms in a loaded gateway, each tile of a dashboard paying it); a dashboard asks six tiles at
 * once, and an idle connection holds no cached data.
 */
const SPARE_CONNECTIONS = 8;

/**
 * Statements a kept connection keeps prepared (least recently used out). A dashboard sends the same
 * few dozen texts on every request, values always bound, so most queries skip DuckDB's parse, bind
 * and plan and two trips through libuv's thread pool (1.3-3.2 ms a light dashboard, measured).
 */
const PREPARED_PER_CONNECTION = 32;

/** A connection kept between queries, with the statements it has prepared. */
export class KeptConnection {
  private readonly statements = new Map<string, DuckDBPreparedStatement>();

  constructor(readonly connection: DuckDBConnection) {}

  has(sql: string): boolean {
    return this.statements.has(sql);
  }

  /** `sql` prepared on this connection: the one prepared before if any. */
  async prepared(sql: string): Promise<DuckDBPreparedStatement> {
    const known = this.statements.get(sql);
    if (known) {
      this.statements.delete(sql);
      this.statements.set(sql, known);
      return known;
    }
    const statement = await this.connection.prepare(sql);
    if (this.statements.size >= PREPARED_PER_CONNECTION) {
      const [oldest, dropped] = this.statements.entries().next().value!;
      this.statements.delete(oldest);
      dropped.destroySync();
    }
    this.statements.set(sql, statement);
    return statement;
  }

  /** Drops what it prepared (a snapshot giving back its memory gives back its plans too). */
  forget(): void {
    for (const statement of this.statements.values()) statement.destroySync();
    this.statements.clear();
  }

  /** Closing the connection destroys what it prepared. */
  close(): void {
    this.statements.clear();
    this.connection.closeSync();
  }
}

/**
 * One open published snapshot. With an idle budget, the blocks DuckDB cached while reading it are
 * given back once no query has read it for a while: an open snapshot then costs its catalog (about
 * 5 MiB) instead of its catalog and everything its last dashboard touched (another 8-15 MiB for a
 * 5,000-user tenant), while staying open, so a later request reads its blocks again from the OS's
 * page cache (a few ms) instead of reopening the file (60-100 ms). Giving back only after a short
 * idle time keeps the cache for a dashboard's tiles and the screens that follow within seconds.
 */
export class SnapshotReader {
  private reading = 0;
  /** The limit being lowered and raised again: no query may start meanwhile (it could fail for memory). */
  private shrinking?: Promise<void>;
  private idleTimer?: NodeJS.Timeout;
  /** Its memory limit could not be raised again after giving back: it answers nothing more (see `enter`). */
  private broken = false;
  private closed = false;
  private readonly spare: KeptConnection[] = [];

  constructor(
    readonly instance: DuckDBInstance,
    private readonly limits?: IdleBudget,
    /** Called once if it broke (the owner closes it; its next query opens the snapshot again). */
    private readonly onBroken?: (error: Error) => void,
  ) {}

  /**
   * Marks a query as reading; call the returned function when it is done. The last reader to leave
   * schedules the give-back (or starts it, with no delay) without waiting for it, so no answer waits
   * on it; a reader arriving first cancels it, one arriving during it waits for it. Null when the
   * snapshot broke meanwhile: it must not be read, and its owner is closing it.
   */
  async enter(): Promise<(() => void) | null> {
    this.cancelIdleTimer();
    this.limits?.waiting.remove(this);
    // The snapshot being read now is the one worth keeping: any other still waiting gives back.
    this.limits?.waiting.only(this);
    while (this.shrinking) await this.shrinking;
    if (this.broken || this.closed) return null;
    this.reading++;
    let left = false;
    return () => {
      if (left) return;
      left = true;
      if (--this.reading === 0 && this.limits) this.scheduleShrink(this.limits);
    };
  }

  /**
   * A new connection for a query that entered it. Closed meanwhile (the warehouse closing, the
   * tenant dropped), it refuses with a clear error rather than DuckDB's "instance closed".
   */
  async connect(): Promise<DuckDBConnection> {
    if (this.closed) throw closedError();
    return this.instance.connect();
  }

  /**
   * Runs `fn` on a connection of its own, kept for the next query unless the statement failed;
   * preferably one that has `statement` prepared already.
   */
  async withConnection<T>(fn: (c: KeptConnection) => Promise<T>, statement?: string): Promise<T> {
    const c = this.takeSpare(statement) ?? new KeptConnection(await this.connect());
    let reusable = false;
    try {
      const value = await fn(c);
      reusable = true;
      return value;
    } finally {
      // A failed or interrupted statement's connection is not trusted with the next one.
      if (reusable && !this.closed && this.spare.length < SPARE_CONNECTIONS) this.spare.push(c);
      else c.close();
    }
  }

  private takeSpare(statement?: string): KeptConnection | undefined {
    const i = statement === undefined ? -1 : this.spare.findLastIndex((c) => c.has(statement));
    return i < 0 ? this.spare.pop() : this.spare.splice(i, 1)[0];
  }

  /** Queries reading it now, for tests. */
  get readers(): number {
    return this.reading;
  }

  /** Bytes DuckDB holds for this snapshot (cached blocks and working memory), for tests and benchmarks. */
  async memoryBytes(): Promise<number> {
    // Not a reader: looking at it neither delays its give-back nor makes it the snapshot read last.
    while (this.shrinking) await this.shrinking;
    if (this.broken || this.closed) throw new Error('the snapshot is closing');
    return this.withConnection(async ({ connection: c }) => {
      const reader = await c.runAndReadAll('select coalesce(sum(memory_usage_bytes), 0)::bigint as b from duckdb_memory()');
      return Number(reader.getRowObjectsJS()[0].b);
    });
  }

  /** Closing waits for a give-back in flight, which uses a connection of its own. */
  async close(): Promise<void> {
    // First, so a give-back finishing meanwhile neither keeps its connection nor reports a break.
    this.closed = true;
    this.cancelIdleTimer();
    this.limits?.waiting.remove(this);
    while (this.shrinking) await this.shrinking;
    for (const c of this.spare.splice(0)) c.close();
    this.instance.closeSync();
  }

  private cancelIdleTimer(): void {
    if (this.idleTimer === undefined) return;
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }

  /** Gives back now if no query reads it (another snapshot was read since it started waiting). */
  giveBackNow(): void {
    this.cancelIdleTimer();
    if (this.limits && this.reading === 0 && !this.shrinking && !this.closed && !this.broken) this.startShrink(this.limits);
  }

  private scheduleShrink(limits: IdleBudget): void {
    this.cancelIdleTimer();
    if (limits.afterMs <= 0) {
      this.startShrink(limits);
      return;
    }
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      limits.waiting.remove(this);
      this.giveBackNow();
    }, limits.afterMs);
    // A snapshot waiting to give back never keeps a process (a CLI command, a test) alive.
    this.idleTimer.unref();
    limits.waiting.add(this);
  }

  private startShrink({ idle, busy }: IdleBudget): void {
    this.shrinking = this.shrink(idle, busy).then((failure) => {
      this.shrinking = undefined;
      if (!failure || this.closed) return;
      this.broken = true;
      this.onBroken?.(failure);
    });
  }

  /**
   * DuckDB's buffer manager evicts unpinned blocks down to a lowered limit and hands their memory
   * back to its allocator; raising the limit again keeps nothing evicted. Eviction is refused
   * when what is left cannot fit (then the cache simply stays until next time). Resolves to the
   * error when the limit could not be raised again: the instance would be left at the idle
   * budget, where the next queries would spill to disk or fail for memory.
   */
  private async shrink(idle: string, busy: string): Promise<Error | undefined> {
    // No query reads it meanwhile (`enter` waits for the give-back): the kept connections' plans go too.
    for (const kept of this.spare) kept.forget();
    let c: KeptConnection;
    try {
      c = this.spare.pop() ?? new KeptConnection(await this.instance.connect());
    } catch {
      // Nothing was lowered: the cache stays until next time.
      return undefined;
    }
    let failure: Error | undefined;
    try {
      await c.connection.run(`set memory_limit = ${sqlText(idle)}`).catch(() => undefined);
      await c.connection.run(`set memory_limit = ${sqlText(busy)}`);
    } catch (error) {
      failure = error instanceof Error ? error : new Error(String(error));
    }
    if (!failure && !this.closed && this.spare.length < SPARE_CONNECTIONS) this.spare.push(c);
    else c.close();
    return failure;
  }
}

const closedError = () => new WarehouseError('WAREHOUSE_UNAVAILABLE', 'The published data was closed before this query could read it; try again.');

const sqlText = (value: string) => `'${value.replace(/'/g, "''")}'`;
