import fs from 'node:fs';
import path from 'node:path';
import type { DuckDBConnection, DuckDBInstance, DuckDBResultReader } from '@duckdb/node-api';
import { dialectFor } from '../dialect';
import { WarehouseError } from '../errors';
import { HandleCache, type HandleClosedReason } from '../handle-cache';
import { assertStagedName, assertTenant } from '../namespace';
import { ReadOnlyGuard } from '../read-only';
import { textValue } from '../text-value.util';
import {
  LAYERS,
  type BulkStorageChoices,
  type DerivedVersion,
  type Layer,
  type ProvisionReport,
  type QueryOptions,
  type QueryResult,
  type Row,
  type SqlParam,
  type StreamOptions,
  type TableCount,
  type TableVersions,
  type TenantNamespace,
  type Warehouse,
  type WarehouseSession,
} from '../types';
import { localTableFiles } from './local-table-files';
import { duckdbNodeApi } from './node-api.loader';
import { SnapshotReader, WaitingSnapshots, type KeptConnection } from './snapshot-reader';
import { bindable, normaliseRows } from './values';

export interface DuckDbWarehouseOptions {
  /** Holds one folder per tenant namespace: work.duckdb, gold/v<N>.duckdb, published.json. */
  rootDir: string;
  /** Holds one folder per namespace of files waiting to be ingested; the only other place a tenant's SQL may read. */
  landingRoot?: string;
  threads?: number;
  /** Per open tenant, e.g. '2GB'. */
  memoryLimit?: string;
  /** Working areas kept open at once (worker side). */
  maxOpenTenants?: number;
  /** Published snapshots kept open at once (reader side). */
  maxOpenSnapshots?: number;
  /**
   * What an open snapshot may keep cached while no query reads it, e.g. '1MB' (a DuckDB size).
   * Unset, it keeps what it cached up to memoryLimit. Set, its configuration is not locked (the
   * limit is lowered and raised between queries); what confines it is not changeable either way.
   */
  idleSnapshotMemory?: string;
  /**
   * With idleSnapshotMemory: how long no query must have read a snapshot before it gives back
   * (0, the default: as soon as its last query leaves). Only the snapshot read last waits, and
   * only until a query enters another one (see WaitingSnapshots).
   */
  idleSnapshotDelayMs?: number;
  /** Where the driver reports what it recovered from by itself (a snapshot it had to close); stderr unless set. */
  warn?: (message: string) => void;
  /** Close a handle unused for this long. */
  idleMs?: number;
  statementTimeoutMs?: number;
}

const DEFAULT_CHUNK = 10_000;
const PUBLISHED_FILE = 'published.json';

interface Published {
  version: number;
  publishedAt: string;
}

/**
 * The embedded engine. Each tenant has its own DuckDB instance over its own files, opened on
 * demand and closed when idle, with file access locked to the tenant's own folders, so no SQL
 * run for one tenant can name, attach or read another's data. Readers only ever open immutable
 * published snapshots, read-only.
 */
export class DuckDbWarehouse implements Warehouse {
  readonly engine = 'duckdb' as const;
  readonly dialect = dialectFor('duckdb');
  private readonly work: HandleCache<DuckDBInstance>;
  private readonly snapshots: HandleCache<SnapshotReader>;
  private readonly waiting = new WaitingSnapshots();
  /** Checks SQL before it reaches a snapshot; its parser engine is closed with the warehouse. */
  private readonly guard = new ReadOnlyGuard();
  /** Set while close() runs: every request is refused meanwhile, so nothing opens that the close would miss. */
  private closing?: Promise<void>;
  private readonly rootDir: string;
  private readonly landingRoot: string;

  constructor(private readonly options: DuckDbWarehouseOptions) {
    this.rootDir = path.resolve(options.rootDir);
    this.landingRoot = path.resolve(options.landingRoot ?? path.join(this.rootDir, '..', 'landing'));
    this.work = new HandleCache({
      max: options.maxOpenTenants ?? 8,
      idleMs: options.idleMs ?? 60_000,
      close: closeWork,
      closedError: (key, reason) => closedWhileOpening(reason, `The working data of ${key}`),
    });
    this.snapshots = new HandleCache({
      max: options.maxOpenSnapshots ?? 8,
      idleMs: options.idleMs ?? 300_000,
      close: (s) => s.close(),
      closedError: (key, reason) => closedWhileOpening(reason, `The published data ${key}`),
    });
  }

  /** What DuckDB holds for each open snapshot (by `<namespace>:<version>`), in bytes, for tests and benchmarks. */
  async snapshotMemory(): Promise<Record<string, number>> {
    const held: Record<string, number> = {};
    for (const key of this.snapshots.keys()) {
      await this.snapshots.use(key, () => Promise.reject(new Error(`snapshot ${key} closed meanwhile`)), async (s) => {
        held[key] = await s.memoryBytes();
      }).catch(() => undefined);
    }
    return held;
  }

  /** Open handles, for tests and the idle-cost benchmark. */
  openHandles(): { work: number; snapshots: number; readOnlyGuard: number } {
    return { work: this.work.size, snapshots: this.snapshots.size, readOnlyGuard: this.guard.isOpen ? 1 : 0 };
  }

  tenantDir(tenant: TenantNamespace): string {
    return path.join(this.rootDir, assertTenant(tenant).namespace);
  }

  landingDir(tenant: TenantNamespace): string {
    return path.join(this.landingRoot, assertTenant(tenant).namespace);
  }

  private workFile(tenant: TenantNamespace): string {
    return path.join(this.tenantDir(tenant), 'work.duckdb');
  }

  private snapshotFile(tenant: TenantNamespace, version: number): string {
    return path.join(this.tenantDir(tenant), 'gold', `v${version}.duckdb`);
  }

  async provision(tenant: TenantNamespace): Promise<ProvisionReport> {
    const dir = this.tenantDir(tenant);
    const created: string[] = [];
    for (const sub of [dir, path.join(dir, 'gold'), this.landingDir(tenant)]) {
      if (!fs.existsSync(sub)) {
        // Tenants' data and exports: readable by the service's own user only.
        fs.mkdirSync(sub, { recursive: true, mode: 0o700 });
        created.push(path.relative(path.dirname(this.rootDir), sub));
      }
    }
    await this.withWork(tenant, async (c) => {
      const existing = await c.runAndReadAll('select schema_name from information_schema.schemata where catalog_name = current_database()');
      const names = new Set(existing.getRowObjectsJS().map((r) => textValue(r.schema_name, 'schema_name')));
      for (const layer of LAYERS) {
        if (!names.has(layer)) {
          await c.run(`create schema if not exists ${layer}`);
          created.push(`${tenant.namespace}.${layer}`);
        }
      }
    }, { create: true });
    return { namespace: tenant.namespace, created, grants: [] };
  }

  async isProvisioned(tenant: TenantNamespace): Promise<boolean> {
    return fs.existsSync(this.workFile(tenant));
  }

  async drop(tenant: TenantNamespace): Promise<void> {
    const dir = this.tenantDir(tenant);
    await this.work.evict(tenant.namespace);
    for (const key of this.snapshots.keys()) if (key.startsWith(`${tenant.namespace}:`)) await this.snapshots.evict(key);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(this.landingDir(tenant), { recursive: true, force: true });
  }

  async execute(tenant: TenantNamespace, sql: string, params: SqlParam[] = [], options: QueryOptions = {}): Promise<void> {
    await this.withWork(tenant, (c) => this.timed(c, options, () => c.run(sql, bindable(params))));
  }

  async query<R extends Row = Row>(tenant: TenantNamespace, sql: string, params: SqlParam[] = [], options: QueryOptions = {}): Promise<QueryResult<R>> {
    return this.withWork(tenant, (c) => this.readAll<R>(c, sql, params, options));
  }

  async *stream(tenant: TenantNamespace, sql: string, params: SqlParam[] = [], options: StreamOptions = {}): AsyncGenerator<Row[]> {
    assertTenant(tenant);
    this.assertProvisioned(tenant);
    this.assertNotClosing();
    const { handle, release } = await this.work.acquire(tenant.namespace, () => this.openWork(tenant));
    try {
      yield* this.streamFrom(() => handle.connect(), sql, params, options);
    } finally {
      await release();
    }
  }

  async session<T>(tenant: TenantNamespace, fn: (session: WarehouseSession) => Promise<T>): Promise<T> {
    return this.withWork(tenant, (c) =>
      fn({
        execute: async (sql, params = [], options = {}) => {
          try {
            await this.timed(c, options, () => c.run(sql, bindable(params)));
          } catch (error) {
            throw asWarehouseError(error);
          }
        },
        query: (sql, params = [], options = {}) => this.readAll(c, sql, params, options),
      }),
    );
  }

  async tableCounts(tenant: TenantNamespace, layer: Layer): Promise<TableCount[]> {
    if (!LAYERS.includes(layer)) throw new WarehouseError('WAREHOUSE_IDENTIFIER_INVALID', `unknown layer ${JSON.stringify(layer)}`);
    return this.withWork(tenant, async (c) => {
      const tables = await c.runAndReadAll(
        // Views too: bronze tables are views over Parquet files on DuckDB.
        "select table_name from information_schema.tables where table_catalog = current_database() and table_schema = ? order by table_name",
        [layer],
      );
      const counts: TableCount[] = [];
      for (const { table_name } of tables.getRowObjectsJS()) {
        const table = textValue(table_name, 'table_name');
        const n = await c.runAndReadAll(`select count(*) as n from ${layer}."${table.replace(/"/g, '""')}"`);
        counts.push({ layer, table, rows: Number(n.getRowObjectsJS()[0].n) });
      }
      return counts;
    });
  }

  /** None: only builds write the working file (a refresh derives on a copy of a snapshot), so its gold is the build's. */
  async tableVersions(tenant: TenantNamespace, _layer: Layer, _tables: readonly string[]): Promise<TableVersions | null> {
    assertTenant(tenant);
    return null;
  }

  async prepareVersion(tenant: TenantNamespace, version: number, built?: TableVersions): Promise<void> {
    if (built && Object.keys(built).length > 0) {
      // tableVersions gives none here: pins from elsewhere would be silently ignored by a copy of the working gold.
      throw new WarehouseError('WAREHOUSE_VERSION_INVALID', `DuckDB keeps no table versions, so version ${version} cannot pin ${Object.keys(built).join(', ')}.`);
    }
    await this.assertNewer(tenant, version);
    const final = this.snapshotFile(tenant, version);
    const staging = `${final}.tmp`;
    fs.mkdirSync(path.dirname(final), { recursive: true });
    fs.rmSync(staging, { force: true });
    await this.withWork(tenant, async (c) => {
      const tables = await c.runAndReadAll(
        "select table_name from duckdb_tables() where database_name = current_database() and schema_name = 'gold' order by table_name",
      );
      await c.run(`attach ${this.dialect.literal(staging)} as kineo_publish`);
      try {
        await c.run('create schema kineo_publish.gold');
        for (const { table_name } of tables.getRowObjectsJS()) {
          const t = `"${textValue(table_name, 'table_name').replace(/"/g, '""')}"`;
          await c.run(`create table kineo_publish.gold.${t} as select * from gold.${t}`);
        }
      } finally {
        await c.run('detach kineo_publish');
      }
    });
    // The snapshot becomes readable only once complete.
    fs.renameSync(staging, final);
    await this.forgetPrepared(tenant, version);
  }

  /**
   * An earlier preparation of this version, opened by a reader in this process, is closed so the
   * next read opens the one that replaced it. Only the preparing job reads a version not yet
   * published (it is in no Postgres record), and it reads nothing while it prepares again.
   */
  private async forgetPrepared(tenant: TenantNamespace, version: number): Promise<void> {
    await this.snapshots.evict(`${tenant.namespace}:${version}`);
  }

  /**
   * A copy of the published snapshot file with the statements run on it: one sequential copy of
   * the version's gold (what prepareVersion's table-by-table copy costs at least), never the
   * working file, which may hold a build that was not published.
   */
  async deriveVersion(tenant: TenantNamespace, from: number, version: number, statements: readonly string[]): Promise<DerivedVersion> {
    await this.assertNewer(tenant, version);
    const source = this.snapshotFile(tenant, from);
    if (!fs.existsSync(source)) throw new WarehouseError('WAREHOUSE_VERSION_INVALID', `Version ${from} of ${tenant.namespace} is not available to derive from.`);
    const final = this.snapshotFile(tenant, version);
    const staging = `${final}.tmp`;
    fs.rmSync(staging, { force: true });
    fs.rmSync(`${staging}.wal`, { force: true });
    // Readers open snapshots read-only, so the file does not change while it is copied.
    fs.copyFileSync(source, staging);
    try {
      const instance = await duckdbNodeApi().DuckDBInstance.create(staging, this.instanceSettings());
      try {
        const c = await instance.connect();
        try {
          await c.run("set global TimeZone = 'UTC'");
          await c.run('set enable_external_access = false');
          for (const sql of statements) await c.run(sql);
          await c.run('checkpoint');
        } finally {
          c.closeSync();
        }
      } finally {
        instance.closeSync();
      }
    } catch (error) {
      fs.rmSync(staging, { force: true });
      throw asWarehouseError(error);
    }
    fs.renameSync(staging, final);
    await this.forgetPrepared(tenant, version);
    return { unrestored: [] };
  }

  async publish(tenant: TenantNamespace, version: number): Promise<void> {
    await this.assertNewer(tenant, version);
    if (!fs.existsSync(this.snapshotFile(tenant, version))) await this.prepareVersion(tenant, version);
    const pointer = path.join(this.tenantDir(tenant), PUBLISHED_FILE);
    const record: Published = { version, publishedAt: new Date().toISOString() };
    fs.writeFileSync(`${pointer}.tmp`, JSON.stringify(record));
    fs.renameSync(`${pointer}.tmp`, pointer);
  }

  private async assertNewer(tenant: TenantNamespace, version: number): Promise<void> {
    const current = await this.publishedVersion(tenant);
    if (!Number.isInteger(version) || version < 1 || (current !== null && version <= current)) {
      throw new WarehouseError(
        'WAREHOUSE_VERSION_INVALID',
        `Cannot publish version ${version}: it must be a whole number greater than the published version (${current ?? 'none'}).`,
      );
    }
  }

  async publishedVersion(tenant: TenantNamespace): Promise<number | null> {
    try {
      const record = JSON.parse(fs.readFileSync(path.join(this.tenantDir(tenant), PUBLISHED_FILE), 'utf8')) as Published;
      return record.version;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  async queryPublished<R extends Row = Row>(
    tenant: TenantNamespace,
    sql: string,
    params: SqlParam[] = [],
    options: QueryOptions & { version?: number } = {},
  ): Promise<QueryResult<R>> {
    const { key, file } = await this.publishedTarget(tenant, sql, options.version);
    const { snapshot, leave, release } = await this.enterSnapshot(key, file);
    try {
      return await snapshot.withConnection((c) => this.readPrepared<R>(c, sql, params, options), sql);
    } finally {
      leave();
      await release();
    }
  }

  async *streamPublished(
    tenant: TenantNamespace,
    sql: string,
    params: SqlParam[] = [],
    options: StreamOptions & { version?: number } = {},
  ): AsyncGenerator<Row[]> {
    const { key, file } = await this.publishedTarget(tenant, sql, options.version);
    const { snapshot, leave, release } = await this.enterSnapshot(key, file);
    try {
      yield* this.streamFrom(() => snapshot.connect(), sql, params, options);
    } finally {
      leave();
      await release();
    }
  }

  /**
   * The open snapshot, entered as a reader. A snapshot that broke while this query waited for it
   * (its memory limit could not be raised again) is being closed: the query asks again and gets
   * it opened afresh.
   */
  private async enterSnapshot(key: string, file: string): Promise<{ snapshot: SnapshotReader; leave: () => void; release: () => Promise<void> }> {
    for (let attempt = 1; ; attempt++) {
      const { handle, release } = await this.snapshots.acquire(key, () => this.openSnapshot(key, file));
      let leave: (() => void) | null;
      try {
        leave = await handle.enter();
      } catch (error) {
        await release();
        throw error;
      }
      if (leave) return { snapshot: handle, leave, release };
      await release();
      if (attempt === 3) throw new WarehouseError('WAREHOUSE_QUERY_FAILED', 'The published data could not be opened for reading; try again.');
    }
  }

  /** DuckDB reads the landing area in place (it is in the tenant's allowed directories): nothing to copy. */
  async stageFile(tenant: TenantNamespace, localPath: string, name: string): Promise<string> {
    assertStagedName(name);
    const file = path.resolve(localPath);
    const relative = path.relative(this.landingDir(tenant), file);
    if (relative === '' || relative.startsWith('..') || path.isAbsolute(relative)) {
      throw new WarehouseError('WAREHOUSE_QUERY_FAILED', "Refused: the file to stage is outside the tenant's landing area.");
    }
    return file;
  }

  async removeStaged(tenant: TenantNamespace): Promise<void> {
    assertTenant(tenant);
  }

  async release(tenant: TenantNamespace): Promise<void> {
    await this.work.evict(assertTenant(tenant).namespace);
  }

  /** Bulk rows are Parquet files next to the tenant's work file, which its DuckDB writes and reads in place. */
  bulkStorage<T>(tenant: TenantNamespace, choices: BulkStorageChoices<T>): T {
    return choices.localFiles(localTableFiles(this.tenantDir(tenant)));
  }

  /** Each published version is a snapshot file of its own: old ones are deleted unless a reader has them open. */
  async pruneSnapshots(tenant: TenantNamespace, keep: number): Promise<number[]> {
    if (!Number.isInteger(keep) || keep < 1) {
      throw new WarehouseError('WAREHOUSE_VERSION_INVALID', `The number of published versions to keep is a whole number of at least 1, not ${keep}.`);
    }
    const current = await this.publishedVersion(tenant);
    if (current === null) return [];
    const goldDir = path.join(this.tenantDir(tenant), 'gold');
    const removed: number[] = [];
    for (const name of fs.existsSync(goldDir) ? fs.readdirSync(goldDir) : []) {
      const m = /^v(\d+)\.duckdb$/.exec(name);
      if (!m) continue;
      const version = Number(m[1]);
      const key = `${tenant.namespace}:${version}`;
      if (version > current - keep || this.snapshots.has(key)) continue;
      fs.rmSync(path.join(goldDir, name), { force: true });
      removed.push(version);
    }
    return removed.sort((a, b) => a - b);
  }

  /** DuckDB runs in this process: an in-memory database answering proves the engine loads and runs. */
  async ping(): Promise<void> {
    const instance = await duckdbNodeApi().DuckDBInstance.create(':memory:', { threads: '1' });
    try {
      const c = await instance.connect();
      try {
        await c.run('select 1');
      } finally {
        c.closeSync();
      }
    } finally {
      instance.closeSync();
    }
  }

  /**
   * Closes every DuckDB it opened, including those still opening (it waits for them, then closes
   * them at once). Requests arriving meanwhile, and those whose data was still opening, get
   * WAREHOUSE_UNAVAILABLE and run nothing. Once closed, the next request opens what it needs again.
   */
  async close(): Promise<void> {
    if (this.closing) return this.closing;
    const closing = Promise.all([this.work.closeAll(), this.snapshots.closeAll(), this.guard.close()]).then(() => undefined);
    this.closing = closing;
    try {
      await closing;
    } finally {
      this.closing = undefined;
    }
  }

  /** Each of its caches refuses on its own while it closes; this covers the one already done. */
  private assertNotClosing(): void {
    if (this.closing) throw closedWhileOpening('closing', 'The warehouse');
  }

  private assertProvisioned(tenant: TenantNamespace): void {
    if (!fs.existsSync(this.workFile(tenant))) {
      throw new WarehouseError('WAREHOUSE_NOT_PROVISIONED', `The warehouse for ${tenant.namespace} has not been provisioned.`);
    }
  }

  private async withWork<T>(tenant: TenantNamespace, fn: (c: DuckDBConnection) => Promise<T>, opts: { create?: boolean } = {}): Promise<T> {
    assertTenant(tenant);
    if (!opts.create) this.assertProvisioned(tenant);
    this.assertNotClosing();
    return this.work.use(tenant.namespace, () => this.openWork(tenant), async (instance) => {
      const c = await instance.connect();
      try {
        return await fn(c);
      } catch (error) {
        throw asWarehouseError(error);
      } finally {
        c.closeSync();
      }
    });
  }

  private async openWork(tenant: TenantNamespace): Promise<DuckDBInstance> {
    // Opening is where another process's write lock shows (the worker's, mid-build): WAREHOUSE_BUSY.
    const instance = await duckdbNodeApi().DuckDBInstance.create(this.workFile(tenant), this.instanceSettings()).catch((error: unknown) => {
      throw asWarehouseError(error);
    });
    const allowed = [this.tenantDir(tenant) + path.sep, this.landingDir(tenant) + path.sep];
    await setUp(instance, async (c) => {
      await c.run("set global TimeZone = 'UTC'");
      await c.run(`set allowed_directories = [${allowed.map((d) => this.dialect.literal(d)).join(', ')}]`);
      await c.run('set enable_external_access = false');
    });
    return instance;
  }

  private async openSnapshot(key: string, file: string): Promise<SnapshotReader> {
    const instance = await duckdbNodeApi().DuckDBInstance.create(file, { ...this.instanceSettings(), access_mode: 'READ_ONLY' });
    const idle = this.options.idleSnapshotMemory;
    let busy: string | undefined;
    await setUp(instance, async (c) => {
      await c.run("set global TimeZone = 'UTC'");
      // Irreversible while the database runs (DuckDB refuses to re-enable it or change the allowed
      // paths after), locked or not; and SQL reaches a snapshot only through the read-only guard.
      await c.run('set enable_external_access = false');
      if (idle) {
        busy = this.options.memoryLimit ?? textValue((await c.runAndReadAll("select current_setting('memory_limit') as m")).getRowObjectsJS()[0].m, 'memory_limit');
      } else {
        await c.run('set lock_configuration = true');
      }
    });
    const budget = idle && busy ? { busy, idle, afterMs: this.options.idleSnapshotDelayMs ?? 0, waiting: this.waiting } : undefined;
    return new SnapshotReader(instance, budget, (error) => {
      this.warn(`Snapshot ${key} could not raise its memory limit back to ${busy} after giving its cache back (${asWarehouseError(error).message}); closing it, its next query opens it again.`);
      void this.snapshots.evict(key).catch(() => undefined);
    });
  }

  private warn(message: string): void {
    if (this.options.warn) this.options.warn(message);
    else process.stderr.write(`kineo warehouse: ${message}\n`);
  }

  private instanceSettings(): Record<string, string> {
    const settings: Record<string, string> = { autoinstall_known_extensions: 'false', autoload_known_extensions: 'false' };
    if (this.options.threads) settings.threads = String(this.options.threads);
    if (this.options.memoryLimit) settings.memory_limit = this.options.memoryLimit;
    return settings;
  }

  private async publishedTarget(tenant: TenantNamespace, sql: string, requested?: number) {
    assertTenant(tenant);
    this.assertProvisioned(tenant);
    this.assertNotClosing();
    await this.guard.assertReadOnlySelect(sql, ['gold']);
    const version = requested ?? (await this.publishedVersion(tenant));
    if (version === null) {
      throw new WarehouseError('WAREHOUSE_NOT_PUBLISHED', `No data has been published for ${tenant.namespace} yet.`);
    }
    const file = this.snapshotFile(tenant, version);
    if (!fs.existsSync(file)) {
      throw new WarehouseError('WAREHOUSE_VERSION_INVALID', `Version ${version} of ${tenant.namespace} is not available.`);
    }
    return { key: `${tenant.namespace}:${version}`, file };
  }

  private async readAll<R extends Row>(c: DuckDBConnection, sql: string, params: SqlParam[], options: QueryOptions): Promise<QueryResult<R>> {
    return this.read<R>(() => this.timed(c, options, () => c.runAndReadAll(sql, bindable(params))));
  }

  /** A published read on a kept connection, through the statement it prepared before if any (one statement: the guard saw to it). */
  private async readPrepared<R extends Row>(c: KeptConnection, sql: string, params: SqlParam[], options: QueryOptions): Promise<QueryResult<R>> {
    return this.read<R>(() =>
      this.timed(c.connection, options, async () => {
        const statement = await c.prepared(sql);
        statement.bind(bindable(params));
        return statement.runAndReadAll();
      }),
    );
  }

  private async read<R extends Row>(run: () => Promise<DuckDBResultReader>): Promise<QueryResult<R>> {
    try {
      const reader = await run();
      const names = reader.columnNames();
      const types = reader.columnTypes();
      return {
        columns: names.map((name, i) => ({ name, type: String(types[i]) })),
        rows: normaliseRows(reader.getRowObjectsJS(), names, types) as R[],
      };
    } catch (error) {
      throw asWarehouseError(error);
    }
  }

  private async *streamFrom(connect: () => Promise<DuckDBConnection>, sql: string, params: SqlParam[], options: StreamOptions): AsyncGenerator<Row[]> {
    const chunkSize = Math.max(1, options.chunkSize ?? DEFAULT_CHUNK);
    const c = await connect().catch((e: unknown) => {
      throw asWarehouseError(e);
    });
    try {
      const result = await this.timed(c, options, () => c.stream(sql, bindable(params))).catch((e) => {
        throw asWarehouseError(e);
      });
      const names = result.columnNames();
      const types = result.columnTypes();
      let pending: Row[] = [];
      for (;;) {
        const chunk = await result.fetchChunk().catch((e) => {
          throw asWarehouseError(e);
        });
        if (!chunk || chunk.rowCount === 0) break;
        const objects = chunk.convertRows(duckdbNodeApi().JSDuckDBValueConverter).map((values) =>
          Object.fromEntries(names.map((name, i) => [name, values[i]])),
        );
        const rows = normaliseRows(objects, names, types);
        for (const row of rows) {
          pending.push(row);
          if (pending.length === chunkSize) {
            yield pending;
            pending = [];
          }
        }
      }
      if (pending.length > 0) yield pending;
    } finally {
      c.closeSync();
    }
  }

  private async timed<T>(c: DuckDBConnection, options: QueryOptions, run: () => Promise<T>): Promise<T> {
    const timeoutMs = options.timeoutMs ?? this.options.statementTimeoutMs;
    if (!timeoutMs) return run();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      c.interrupt();
    }, timeoutMs);
    try {
      return await run();
    } catch (error) {
      if (timedOut) throw new WarehouseError('WAREHOUSE_TIMEOUT', `The statement was stopped after ${timeoutMs} ms.`, { cause: error });
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * Runs the set-up of an instance just created; if any of it fails (the first connection
 * included), the instance is closed before the error goes on, so a failed open leaves no file open.
 */
async function setUp(instance: DuckDBInstance, fn: (c: DuckDBConnection) => Promise<void>): Promise<void> {
  let c: DuckDBConnection | undefined;
  try {
    c = await instance.connect();
    await fn(c);
  } catch (error) {
    c?.closeSync();
    instance.closeSync();
    throw asWarehouseError(error);
  }
  c.closeSync();
}

function closedWhileOpening(reason: HandleClosedReason, what: string): WarehouseError {
  return reason === 'closing'
    ? new WarehouseError('WAREHOUSE_UNAVAILABLE', 'The warehouse is closing: this request was not run; try again.')
    : new WarehouseError('WAREHOUSE_QUERY_FAILED', `${what} was closed while this query was opening it (the tenant dropped, the version prepared again or found broken); try again.`);
}

/** A load's ingest or a build stage holds the working file for seconds to minutes. */
const WAREHOUSE_BUSY_RETRY_SECONDS = 60;

/** Keeps the engine's explanation but never a file path, which would reveal the layout. */
export function asWarehouseError(error: unknown): Error {
  if (error instanceof WarehouseError) return error;
  // The engine throws plain Errors; anything more specific came from the caller's own code.
  if (error instanceof Error && error.constructor !== Error) return error;
  const raw = error instanceof Error ? error.message : String(error);
  const safe = raw.replace(/(["'])?\/[^\s"']+\1?/g, '<file>').split('\n')[0];
  // DuckDB lets one process open a file for writing and no other process open it at all meanwhile:
  // while the worker loads or builds a tenant, its working layers cannot be read (published
  // snapshots, which analytics read, are separate files and stay readable).
  if (/Could not set lock on file|Conflicting lock/i.test(raw)) {
    return new WarehouseError('WAREHOUSE_BUSY', "This organisation's data is being loaded or rebuilt; try again in a minute.", {
      cause: error,
      details: { retryAfterSeconds: WAREHOUSE_BUSY_RETRY_SECONDS },
    });
  }
  if (/Permission Error|file system operations are disabled/i.test(raw)) {
    return new WarehouseError('WAREHOUSE_QUERY_FAILED', 'The statement tried to reach data outside this tenant.', { cause: error });
  }
  return new WarehouseError('WAREHOUSE_QUERY_FAILED', safe, { cause: error });
}

/**
 * Closes a tenant's work file. DuckDB checkpoints when a database closes, and closeSync does that
 * on the calling thread: after a load of hundreds of millions of rows that is minutes with Node's
 * event loop stopped, so the worker could not renew its BullMQ job locks and the job was declared
 * stalled although it had finished. A CHECKPOINT statement first does the work on DuckDB's own
 * threads; what is left for closeSync is small.
 */
async function closeWork(instance: DuckDBInstance): Promise<void> {
  try {
    const c = await instance.connect();
    try {
      await c.run('checkpoint');
    } finally {
      c.closeSync();
    }
  } catch {
    // closeSync checkpoints anyway.
  }
  instance.closeSync();
}
