import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Settings } from '@kineo/config';
import { dialectFor } from '../dialect';
import type { DuckDbWarehouseOptions } from '../duckdb';
import { localTableFiles } from '../duckdb/local-table-files';
import { WarehouseError } from '../errors';
import { assertTenant } from '../namespace';
import type {
  Engine,
  BulkStorageChoices,
  DerivedVersion,
  Layer,
  ProvisionReport,
  QueryOptions,
  QueryResult,
  Row,
  SqlParam,
  StreamOptions,
  TableCount,
  TableVersions,
  TenantNamespace,
  Warehouse,
  WarehouseSession,
} from '../types';
import { fromWire, type ChildMessage, type ForwardedMethod, type ReaderInit, type Request } from './child-reader.protocol';

/**
 * Why a reader process stopped: it died (`crashed`), was killed for not answering (`stuck`), could
 * not open its warehouse (`failed`), or was stopped for idleness (`idle`) or by close() (`closed`).
 */
export type ReaderStopReason = 'crashed' | 'stuck' | 'failed' | 'idle' | 'closed';

/** A reader process started or stopped, for whoever counts them (the gateway's /metrics). */
export type ReaderEvent = { kind: 'started'; pid: number } | { kind: 'stopped'; pid: number; reason: ReaderStopReason };

/** How the calling process watches its reader. */
export interface ReaderControl {
  /** Told each time a reader process starts or stops. */
  events?: (event: ReaderEvent) => void;
  /** Where the reader's warnings and its stops are reported (the process's logger); stderr unless set. */
  warn?: (message: string) => void;
  /**
   * Stop the reader process after this long without a request (its DuckDBs close with it); the
   * next request starts it again. Unset: it runs until close().
   */
  idleExitMs?: number;
  /**
   * How long past a statement's time limit the reader may take to answer before it is taken for
   * stuck (its event loop blocked, DuckDB not returning) and killed; default 10 s.
   */
  stuckGraceMs?: number;
}

/** What the caller must know of the warehouse the reader runs, without running it. */
interface ReaderShape {
  engine: Engine;
  /** DuckDB: the tenants' folders (bulk writers write their files themselves). */
  rootDir?: string;
  /** The driver's default statement time limit, which the watchdog allows for. */
  statementTimeoutMs?: number;
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

interface Child {
  proc: ChildProcess;
  ready: Promise<void>;
  pending: Map<number, Pending>;
  exited: boolean;
  /** Set when this side stops it; a reader that goes without one crashed. */
  stopping?: ReaderStopReason;
  startedAt: number;
  /** Why it could not open its warehouse, when that is why it stopped. */
  failure?: Error;
}

/** How long a reader process asked to stop may take to close its DuckDBs before it is killed. */
const STOP_GRACE_MS = 5_000;
const STUCK_GRACE_MS = 10_000;
/** A reader that stops by itself sooner than this after starting counts towards a crash loop. */
const QUICK_STOP_MS = 10_000;
/** After the second quick stop in a row, no reader starts for this long, doubling each time up to the cap. */
const RESTART_BACKOFF_MS = 500;
const RESTART_BACKOFF_CAP_MS = 30_000;

/**
 * The warehouse in a process of its own: every call goes to a warehouse in a child process
 * (child-reader.main.ts) over Node's IPC channel, so this process never loads the engine's driver.
 * On DuckDB the caller's memory then holds no libduckdb, read-only guard's parser or open snapshot,
 * and a crash inside DuckDB's native code ends the reader, not the caller; on Databricks it holds no
 * driver (Thrift, Arrow), no guard's parser and none of the result path's garbage. What it costs:
 * each call's arguments and rows are copied between the processes, and the reader is a Node process
 * of its own (about 45 MiB before any engine).
 *
 * The reader starts at the first call. If it stops (a crash, or killed), the calls in flight fail
 * with WAREHOUSE_UNAVAILABLE, a warning says why, and the next call starts a new one. A statement
 * not answered within its time limit and a grace (the reader enforces the limit itself, so only a
 * reader that is stuck misses it) gets the reader killed, with the same outcome. Streams are
 * pulled a chunk at a time, so the reader holds one chunk of a stream, never the result.
 */
export class ChildReaderWarehouse implements Warehouse {
  readonly engine: Engine;
  readonly dialect: Warehouse['dialect'];
  private child?: Child;
  private nextId = 1;
  private active = 0;
  private idleTimer?: NodeJS.Timeout;
  private closing?: Promise<void>;
  /** Readers in a row that stopped by themselves soon after starting (a crash loop), and what the last one said. */
  private quickStops = 0;
  private restartAt = 0;
  private lastStop?: Error;

  /** A reader running the DuckDB driver with these options. */
  static duckdb(options: DuckDbWarehouseOptions & ReaderControl): ChildReaderWarehouse {
    const { warn, events, idleExitMs, stuckGraceMs, ...sent } = options;
    return new ChildReaderWarehouse(
      { driver: 'duckdb', options: sent },
      { engine: 'duckdb', rootDir: path.resolve(sent.rootDir), statementTimeoutMs: sent.statementTimeoutMs },
      { warn, events, idleExitMs, stuckGraceMs },
    );
  }

  /** A reader running the reader warehouse these settings select (either engine), as createWarehouse would in process. */
  static fromSettings(settings: Settings, shape: Omit<ReaderShape, 'engine'>, control: ReaderControl = {}): ChildReaderWarehouse {
    return new ChildReaderWarehouse({ driver: 'settings', settings }, { ...shape, engine: settings.WAREHOUSE_ENGINE }, control);
  }

  private constructor(
    private readonly init: ReaderInit,
    private readonly shape: ReaderShape,
    private readonly options: ReaderControl,
  ) {
    this.engine = shape.engine;
    this.dialect = dialectFor(shape.engine);
  }

  /** The running reader process's pid (none before the first call or after it stopped), for tests and benchmarks. */
  get readerPid(): number | undefined {
    return this.child && !this.child.exited ? this.child.proc.pid : undefined;
  }

  provision(tenant: TenantNamespace): Promise<ProvisionReport> {
    return this.call('provision', [tenant]);
  }

  isProvisioned(tenant: TenantNamespace): Promise<boolean> {
    return this.call('isProvisioned', [tenant]);
  }

  drop(tenant: TenantNamespace): Promise<void> {
    return this.call('drop', [tenant]);
  }

  execute(tenant: TenantNamespace, sql: string, params?: SqlParam[], options?: QueryOptions): Promise<void> {
    return this.call('execute', [tenant, sql, params, options]);
  }

  query<R extends Row = Row>(tenant: TenantNamespace, sql: string, params?: SqlParam[], options?: QueryOptions): Promise<QueryResult<R>> {
    return this.call('query', [tenant, sql, params, options]);
  }

  stream(tenant: TenantNamespace, sql: string, params?: SqlParam[], options?: StreamOptions): AsyncGenerator<Row[]> {
    return this.streamOf('stream', [tenant, sql, params, options]);
  }

  async session<T>(tenant: TenantNamespace, fn: (session: WarehouseSession) => Promise<T>): Promise<T> {
    return this.tracked(async (child) => {
      const session = await this.open(child, (id) => ({ id, kind: 'session', tenant }));
      const run = (method: 'execute' | 'query', args: unknown[]) =>
        this.request(child, (id) => ({ id, kind: 'session-call', session, method, args }), this.limitOf(args[2] as QueryOptions | undefined));
      try {
        return await fn({
          execute: async (sql, params, options) => {
            await run('execute', [sql, params, options]);
          },
          query: <R extends Row = Row>(sql: string, params?: SqlParam[], options?: QueryOptions) => run('query', [sql, params, options]) as Promise<QueryResult<R>>,
        });
      } finally {
        await this.request(child, (id) => ({ id, kind: 'end-session', session })).catch(() => undefined);
      }
    });
  }

  tableCounts(tenant: TenantNamespace, layer: Layer): Promise<TableCount[]> {
    return this.call('tableCounts', [tenant, layer]);
  }

  tableVersions(tenant: TenantNamespace, layer: Layer, tables: readonly string[]): Promise<TableVersions | null> {
    return this.call('tableVersions', [tenant, layer, tables]);
  }

  prepareVersion(tenant: TenantNamespace, version: number, built?: TableVersions): Promise<void> {
    return this.call('prepareVersion', [tenant, version, built]);
  }

  deriveVersion(tenant: TenantNamespace, from: number, version: number, statements: readonly string[]): Promise<DerivedVersion> {
    return this.call('deriveVersion', [tenant, from, version, statements]);
  }

  publish(tenant: TenantNamespace, version: number): Promise<void> {
    return this.call('publish', [tenant, version]);
  }

  publishedVersion(tenant: TenantNamespace): Promise<number | null> {
    return this.call('publishedVersion', [tenant]);
  }

  queryPublished<R extends Row = Row>(
    tenant: TenantNamespace,
    sql: string,
    params?: SqlParam[],
    options?: QueryOptions & { version?: number },
  ): Promise<QueryResult<R>> {
    return this.call('queryPublished', [tenant, sql, params, options]);
  }

  streamPublished(tenant: TenantNamespace, sql: string, params?: SqlParam[], options?: StreamOptions & { version?: number }): AsyncGenerator<Row[]> {
    return this.streamOf('streamPublished', [tenant, sql, params, options]);
  }

  stageFile(tenant: TenantNamespace, localPath: string, name: string): Promise<string> {
    return this.call('stageFile', [tenant, localPath, name]);
  }

  removeStaged(tenant: TenantNamespace, location: string): Promise<void> {
    return this.call('removeStaged', [tenant, location]);
  }

  /** As the driver in process: DuckDB's tenant folders are files on this machine, which the caller writes itself; Databricks' are its tables. */
  bulkStorage<T>(tenant: TenantNamespace, choices: BulkStorageChoices<T>): T {
    if (this.shape.engine === 'databricks') return choices.engineTables();
    if (!this.shape.rootDir) throw new WarehouseError('WAREHOUSE_UNAVAILABLE', 'This reader was not told where the tenants\' folders are.');
    return choices.localFiles(localTableFiles(path.join(this.shape.rootDir, assertTenant(tenant).namespace)));
  }

  pruneSnapshots(tenant: TenantNamespace, keep: number): Promise<number[]> {
    return this.call('pruneSnapshots', [tenant, keep]);
  }

  release(tenant: TenantNamespace): Promise<void> {
    return this.call('release', [tenant]);
  }

  /** The reader process answers, and its engine runs in it. */
  ping(): Promise<void> {
    return this.call('ping', []);
  }

  /**
   * Closes what the reader's engine opened and stops it; requests arriving meanwhile get
   * WAREHOUSE_UNAVAILABLE. The next request after it starts a reader again.
   */
  async close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closing = (async () => {
      clearTimeout(this.idleTimer);
      const child = this.child;
      if (!child) return;
      await this.request(child, (id) => ({ id, kind: 'close' })).catch(() => undefined);
      await this.stop(child, 'closed');
    })().finally(() => {
      this.closing = undefined;
    });
    return this.closing;
  }

  private call<T>(method: ForwardedMethod, args: unknown[]): Promise<T> {
    const limit = STATEMENT_METHODS.has(method) ? this.limitOf(args[3] as QueryOptions | undefined) : undefined;
    return this.tracked((child) => this.request(child, (id) => ({ id, kind: 'call', method, args }), limit) as Promise<T>);
  }

  /** The time limit a statement runs under in the reader: its own, or the driver's default. */
  private limitOf(options: QueryOptions | undefined): number | undefined {
    return options?.timeoutMs ?? this.shape.statementTimeoutMs;
  }

  private async *streamOf(method: 'stream' | 'streamPublished', args: unknown[]): AsyncGenerator<Row[]> {
    const child = this.begin();
    try {
      const stream = await this.open(child, (id) => ({ id, kind: 'stream', method, args }));
      const limit = this.limitOf(args[3] as QueryOptions | undefined);
      let finished = false;
      try {
        for (;;) {
          const rows = (await this.request(child, (id) => ({ id, kind: 'next', stream }), limit)) as Row[] | null;
          if (rows === null) {
            finished = true;
            return;
          }
          yield rows;
        }
      } catch (error) {
        finished = true; // the reader ended the stream itself when it failed
        throw error;
      } finally {
        // Left early (the caller stopped reading): the reader ends the query and frees its connection.
        if (!finished) await this.request(child, (id) => ({ id, kind: 'end-stream', stream })).catch(() => undefined);
      }
    } finally {
      this.end();
    }
  }

  /** Sends a request that opens something (a stream, a session) and returns the id it is known by. */
  private async open(child: Child, make: (id: number) => Request): Promise<number> {
    let opened = 0;
    await this.request(child, (id) => {
      opened = id;
      return make(id);
    });
    return opened;
  }

  private async tracked<T>(fn: (child: Child) => Promise<T>): Promise<T> {
    const child = this.begin();
    try {
      return await fn(child);
    } finally {
      this.end();
    }
  }

  /** One more request in flight on the running reader (started if none): the reader does not stop for idleness meanwhile. */
  private begin(): Child {
    if (this.closing) throw new WarehouseError('WAREHOUSE_UNAVAILABLE', 'The warehouse is closing: this request was not run; try again.');
    // A reader that keeps stopping is not started for every call (a fork each): the calls meanwhile get what the last one said.
    if (!this.child && Date.now() < this.restartAt && this.lastStop) throw this.lastStop;
    const child = this.start();
    this.active++;
    clearTimeout(this.idleTimer);
    return child;
  }

  private end(): void {
    this.active--;
    const idleExitMs = this.options.idleExitMs;
    if (this.active > 0 || idleExitMs === undefined) return;
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      const child = this.child;
      if (this.active > 0 || !child) return;
      this.child = undefined;
      void this.stop(child, 'idle');
    }, idleExitMs);
    this.idleTimer.unref();
  }

  /** Sends a request and waits for its reply; with `limitMs`, a reply later than that and the grace means the reader is stuck. */
  private async request(child: Child, make: (id: number) => Request, limitMs?: number): Promise<unknown> {
    await child.ready;
    if (child.exited) throw stopped();
    const id = this.nextId++;
    const grace = this.options.stuckGraceMs ?? STUCK_GRACE_MS;
    const watchdog = limitMs === undefined ? undefined : setTimeout(() => this.stuck(child, limitMs, grace), limitMs + grace).unref();
    try {
      return await new Promise((resolve, reject) => {
        child.pending.set(id, { resolve, reject });
        child.proc.send(make(id), (error) => {
          if (!error) return;
          child.pending.delete(id);
          reject(new WarehouseError('WAREHOUSE_UNAVAILABLE', 'The warehouse reader process could not be reached: this request was not run; try again.', { cause: error }));
        });
      });
    } finally {
      clearTimeout(watchdog);
    }
  }

  /** A reader that let a statement run past its limit and the grace is not answering anything: it is killed, and the next call starts another. */
  private stuck(child: Child, limitMs: number, grace: number): void {
    if (child.exited) return;
    this.warn(`The warehouse reader process ${child.proc.pid ?? ''} did not answer a statement within its ${limitMs} ms limit and ${grace} ms more; killing it.`);
    child.stopping = 'stuck';
    child.proc.kill('SIGKILL');
  }

  private start(): Child {
    if (this.child && !this.child.exited) return this.child;
    const proc = fork(entryFile(), [], { serialization: 'advanced', execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let ready!: () => void;
    let failed!: (error: Error) => void;
    const child: Child = {
      proc,
      pending: new Map(),
      exited: false,
      startedAt: Date.now(),
      ready: new Promise<void>((resolve, reject) => {
        ready = resolve;
        failed = reject;
      }),
    };
    // Nobody may be waiting yet; a request that is gets the rejection through its own await.
    child.ready.catch(() => undefined);
    proc.on('message', (message: ChildMessage) => {
      if (!('id' in message)) {
        if (message.kind === 'ready') ready();
        else if (message.kind === 'failed') {
          // It could not open its warehouse (the settings, a secret): it goes, and the next call tries again.
          child.failure = fromWire(message.error);
          failed(child.failure);
          void this.stop(child, 'failed');
        }
        else this.warn(message.message);
        return;
      }
      const pending = child.pending.get(message.id);
      if (!pending) return;
      child.pending.delete(message.id);
      if (message.ok) pending.resolve(message.value);
      else pending.reject(fromWire(message.error));
    });
    const gone = (why: string) => {
      if (child.exited) return;
      child.exited = true;
      if (this.child === child) this.child = undefined;
      const refused = child.pending.size;
      const error = stopped();
      failed(error);
      for (const pending of child.pending.values()) pending.reject(error);
      child.pending.clear();
      if (refused > 0 || why !== 'exit code 0') {
        this.warn(`The warehouse reader process ${proc.pid ?? ''} stopped (${why}); ${refused} request(s) in flight were refused. The next request starts it again.`);
      }
      const reason = child.stopping ?? 'crashed';
      this.afterStop(child, reason, child.failure ?? error);
      if (proc.pid !== undefined) this.options.events?.({ kind: 'stopped', pid: proc.pid, reason });
    };
    proc.on('exit', (code, signal) => gone(signal ? `signal ${signal}` : `exit code ${code}`));
    proc.on('error', (error) => gone(error.message));
    proc.send({ kind: 'init', init: this.init });
    this.child = child;
    if (proc.pid !== undefined) this.options.events?.({ kind: 'started', pid: proc.pid });
    return child;
  }

  /** Counts a crash loop: from the second reader in a row that stopped by itself soon after starting, the next waits. */
  private afterStop(child: Child, reason: ReaderStopReason, error: Error): void {
    if (reason === 'idle' || reason === 'closed') return;
    if (Date.now() - child.startedAt >= QUICK_STOP_MS) {
      this.quickStops = 0;
      return;
    }
    this.quickStops++;
    this.lastStop = error;
    if (this.quickStops < 2) return;
    const wait = Math.min(RESTART_BACKOFF_CAP_MS, RESTART_BACKOFF_MS * 2 ** (this.quickStops - 2));
    this.restartAt = Date.now() + wait;
    this.warn(`The warehouse reader process stopped ${this.quickStops} times in a row soon after starting; the next one starts in ${wait} ms at the earliest.`);
  }

  /** Closes the channel (the reader closes its DuckDBs and exits), and kills it if it has not gone within the grace. */
  private async stop(child: Child, reason: ReaderStopReason): Promise<void> {
    if (child.exited) return;
    child.stopping ??= reason;
    const exited = new Promise<void>((resolve) => child.proc.once('exit', () => resolve()));
    if (child.proc.connected) child.proc.disconnect();
    const kill = setTimeout(() => child.proc.kill('SIGKILL'), STOP_GRACE_MS);
    await exited;
    clearTimeout(kill);
  }

  private warn(message: string): void {
    if (this.options.warn) this.options.warn(message);
    else process.stderr.write(`kineo warehouse: ${message}\n`);
  }
}

/** Calls that run a statement under a time limit (their options are the fourth argument). */
const STATEMENT_METHODS: ReadonlySet<ForwardedMethod> = new Set(['execute', 'query', 'queryPublished']);

/** Why it stopped goes to the warning (the operator's), not to the caller. */
function stopped(): WarehouseError {
  return new WarehouseError('WAREHOUSE_UNAVAILABLE', 'The warehouse reader process stopped while this request ran; try again.');
}

/** The reader's entry, built beside this file; from the sources (a test), the package's build of it. */
function entryFile(): string {
  const beside = path.join(__dirname, 'child-reader.main.js');
  if (fs.existsSync(beside)) return beside;
  const built = path.resolve(__dirname, '..', '..', 'dist', 'child-reader', 'child-reader.main.js');
  if (fs.existsSync(built)) return built;
  throw new WarehouseError('WAREHOUSE_UNAVAILABLE', `The warehouse reader process is not built (${built} is missing): run the build first.`);
}
