import fs from 'node:fs';
import path from 'node:path';
import { DefaultAzureCredential, type TokenCredential } from '@azure/identity';
import type { DBSQLClient } from '@databricks/sql';
import type { ConnectionOptions } from '@databricks/sql/dist/contracts/IDBSQLClient';
import type IDBSQLLogger from '@databricks/sql/dist/contracts/IDBSQLLogger';
import type IDBSQLSession from '@databricks/sql/dist/contracts/IDBSQLSession';
import type IOperation from '@databricks/sql/dist/contracts/IOperation';
import { databricksDialect } from '../dialect';
import { WarehouseError } from '../errors';
import { assertStagedName, assertTenant } from '../namespace';
import { assertReadOnlySelect } from '../read-only';
import {
  LAYERS,
  type Layer,
  type ProvisionReport,
  type QueryOptions,
  type QueryResult,
  type Row,
  type SqlParam,
  type StreamOptions,
  type TableCount,
  type TenantNamespace,
  type Warehouse,
  type WarehouseSession,
} from '../types';
import { databricksSql } from './databricks-sql.loader';
import { isInvalidSessionError, isStagingRefusal, isTransientError, toWarehouseError } from './driver-errors.util';
import { AZURE_DATABRICKS_SCOPE, EntraTokenProvider } from './entra-token.provider';
import { grantStatements, namespaceLayout, type DatabricksIsolation, type NamespaceLayout, type PrincipalName } from './namespace-layout.util';
import { normaliseRows, resultColumns, type ResultColumn, type ThriftTableSchema } from './row-values.util';
import { SessionPool, type Lease, type PoolLimits } from './session-pool';
import { assertOwnNamespace, leadingWords, pinPublishedTables } from './sql-text.util';

export type DatabricksAuth =
  /** A personal access token (local development). */
  | { kind: 'token'; token: string }
  /** Entra ID (production): DefaultAzureCredential unless a credential is given. */
  | { kind: 'entra'; credential?: TokenCredential; scope?: string };

export interface DatabricksWarehouseOptions {
  /** Workspace host, e.g. `adb-1234567890123456.7.azuredatabricks.net`. */
  host: string;
  /** HTTP path of the SQL warehouse, e.g. `/sql/1.0/warehouses/abcdef0123456789`. */
  path: string;
  port?: number;
  auth: DatabricksAuth;
  /** Default: a catalog per tenant, `kineo_<namespace>`. */
  isolation?: DatabricksIsolation;
  /** Sessions per tenant (default 4), idle eviction (default 5 minutes), wait for a free session (default 60 s). */
  pool?: Partial<PoolLimits>;
  /** Statement time limit when a call sets none (default 5 minutes); sent as STATEMENT_TIMEOUT and queryTimeout. */
  statementTimeoutMs?: number;
  /** How long past a limit the driver waits for the server's own timeout before cancelling itself (default 250 ms). */
  timeoutGraceMs?: number;
  /** Rows per fetched page for query() (stream() uses its chunkSize). Default 10 000. */
  fetchRows?: number;
  /** Retries of a read after a transient failure: 429, 502-504, a dropped connection (default 2). */
  readRetries?: number;
  retryBackoffMs?: number;
  /** Per-tenant principals for the provisioning grants; `{namespace}` is replaced. Applied only when `apply` is set. */
  grants?: { reader?: PrincipalName; writer?: PrincipalName; apply?: boolean };
  /**
   * The worker's local landing area, one folder per namespace (as for DuckDB). Files are staged
   * into the tenant's volume only from the tenant's own folder (`stagingAllowedLocalPath`).
   */
  landingRoot?: string;
  /** A PEM CA added to the trusted roots (private CA, TLS-inspecting proxy, the local test server). */
  customCaCert?: string | Buffer;
  /** The driver's own log lines; dropped by default. */
  log?: (level: string, message: string) => void;
}

const PUBLISHED_TABLE = '_kineo_published';
const INTERNAL_TABLE_PREFIX = '_kineo';
const SAFE_TABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const ADMIN_KEY = '\0admin';
const STAGING_TIMEOUT_MS = 60 * 60_000;

interface Target {
  key: string;
  session?: { initialCatalog: string; initialSchema: string };
}

/**
 * Where a statement gets its session: the tenant's pool (an expired session is replaced and the
 * statement resent), or one session pinned for a `session()` call (state lives on it, so an
 * expired one is an error, never silently replaced).
 */
interface SessionSource {
  readonly reopenable: boolean;
  acquire(): Promise<Lease<IDBSQLSession>>;
  release(lease: Lease<IDBSQLSession>, discard?: boolean): void;
}

class PinnedSession implements SessionSource {
  readonly reopenable = false;
  expired = false;
  /** Ran SET or created temporary objects: not fit to go back to the pool. */
  tainted = false;

  constructor(private readonly lease: Lease<IDBSQLSession>) {}

  async acquire(): Promise<Lease<IDBSQLSession>> {
    if (this.expired) throw new WarehouseError('WAREHOUSE_UNAVAILABLE', 'The warehouse session expired; run the work again.');
    return this.lease;
  }

  release(_lease: Lease<IDBSQLSession>, discard = false): void {
    if (discard) this.expired = true;
  }
}

function leavesSessionState(sql: string): boolean {
  const [first, ...rest] = leadingWords(sql, 5);
  return first === 'set' || first === 'reset' || first === 'declare' || (first === 'create' && (rest.includes('temp') || rest.includes('temporary')));
}

interface PublishedPins {
  version: number;
  tables: Map<string, number>;
}

const noop = () => undefined;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function quoteTable(name: string): string {
  return SAFE_TABLE_NAME.test(name) ? name : `\`${name.replace(/`/g, '``')}\``;
}

function timeoutError(cause?: unknown): WarehouseError {
  return new WarehouseError('WAREHOUSE_TIMEOUT', 'The statement ran longer than its time limit and was cancelled.', { cause });
}

/** Cancels the watched operation once the time limit has passed. */
class Deadline {
  timedOut = false;
  private operation?: IOperation;
  private readonly timer: NodeJS.Timeout;

  constructor(ms: number) {
    this.timer = setTimeout(
      () => {
        this.timedOut = true;
        void this.operation?.cancel().catch(noop);
      },
      Math.min(ms, 2 ** 31 - 1),
    );
  }

  watch(operation: IOperation): void {
    this.operation = operation;
    if (this.timedOut) void operation.cancel().catch(noop);
  }

  clear(): void {
    clearTimeout(this.timer);
  }
}

/** An open result: the first page is fetched, the session stays leased until close(). */
class Cursor {
  private done = false;
  private discard = false;

  constructor(
    readonly columns: ResultColumn[],
    private readonly operation: IOperation,
    private pending: Row[] | undefined,
    private readonly pageRows: number,
    private readonly release: (discard: boolean) => void,
  ) {}

  async next(): Promise<Row[] | null> {
    if (this.done) return null;
    const pending = this.pending;
    this.pending = undefined;
    if (pending && pending.length > 0) return pending;
    try {
      while (await this.operation.hasMoreRows()) {
        const raw = await this.operation.fetchChunk({ maxRows: this.pageRows });
        if (raw.length > 0) return normaliseRows(this.columns, raw);
      }
    } catch (error) {
      this.discard = isInvalidSessionError(error);
      await this.close();
      throw toWarehouseError(error);
    }
    await this.close();
    return null;
  }

  async close(): Promise<void> {
    if (this.done) return;
    this.done = true;
    await this.operation.close().catch(noop);
    this.release(this.discard);
  }
}

/**
 * The Warehouse on Databricks SQL: one `DBSQLClient` per workspace, a bounded session pool per
 * tenant (a session is opened inside the tenant's catalog so models' `bronze.x` resolves there),
 * results fetched page by page, every failure a WarehouseError.
 */
export class DatabricksWarehouse implements Warehouse {
  readonly engine = 'databricks' as const;
  readonly dialect = databricksDialect;

  private readonly isolation: DatabricksIsolation;
  private readonly limits: PoolLimits;
  private readonly statementTimeoutMs: number;
  private readonly timeoutGraceMs: number;
  private readonly fetchRows: number;
  private readonly readRetries: number;
  private readonly retryBackoffMs: number;
  private readonly pools = new Map<string, SessionPool<IDBSQLSession>>();
  private readonly pins = new Map<string, PublishedPins>();
  private readonly registries = new Set<string>();
  private clientPromise?: Promise<DBSQLClient>;
  private closed = false;

  constructor(private readonly options: DatabricksWarehouseOptions) {
    if (!options.host || !options.path) throw new WarehouseError('WAREHOUSE_UNAVAILABLE', 'The Databricks host and HTTP path are required.');
    this.isolation = options.isolation ?? { mode: 'catalog' };
    this.limits = {
      maxSessions: options.pool?.maxSessions ?? 4,
      idleMs: options.pool?.idleMs ?? 5 * 60_000,
      acquireTimeoutMs: options.pool?.acquireTimeoutMs ?? 60_000,
    };
    this.statementTimeoutMs = options.statementTimeoutMs ?? 5 * 60_000;
    this.timeoutGraceMs = options.timeoutGraceMs ?? 250;
    this.fetchRows = options.fetchRows ?? 10_000;
    this.readRetries = options.readRetries ?? 2;
    this.retryBackoffMs = options.retryBackoffMs ?? 200;
  }

  async provision(tenant: TenantNamespace): Promise<ProvisionReport> {
    assertTenant(tenant);
    const layout = this.layout(tenant);
    const admin = this.adminTarget();
    const created: string[] = [];
    if (layout.mode === 'catalog' && !(await this.catalogExists(layout.catalog))) {
      await this.executeStatement(admin, `CREATE CATALOG IF NOT EXISTS ${layout.catalog}`);
      created.push(layout.catalog);
    }
    const schemas = await this.tenantSchemas(layout);
    for (const layer of LAYERS) {
      if (schemas.has(layout.schemaFor(layer))) continue;
      await this.executeStatement(admin, `CREATE SCHEMA IF NOT EXISTS ${layout.qualified(layer)}`);
      created.push(layout.qualified(layer));
    }
    if (!(await this.volumeExists(layout))) {
      await this.executeStatement(admin, `CREATE VOLUME IF NOT EXISTS ${layout.volume.qualified}`);
      created.push(layout.volume.qualified);
    }
    const grants = grantStatements(layout, {
      reader: this.options.grants?.reader ?? 'kineo-{namespace}-reader',
      writer: this.options.grants?.writer ?? 'kineo-{namespace}-writer',
    });
    if (this.options.grants?.apply) {
      for (const grant of grants) await this.executeStatement(admin, grant);
    }
    return { namespace: tenant.namespace, created, grants };
  }

  async isProvisioned(tenant: TenantNamespace): Promise<boolean> {
    assertTenant(tenant);
    const layout = this.layout(tenant);
    if (layout.mode === 'catalog' && !(await this.catalogExists(layout.catalog))) return false;
    const schemas = await this.tenantSchemas(layout);
    return LAYERS.every((layer) => schemas.has(layout.schemaFor(layer))) && (await this.volumeExists(layout));
  }

  async drop(tenant: TenantNamespace): Promise<void> {
    assertTenant(tenant);
    const layout = this.layout(tenant);
    await this.closePool(tenant.namespace);
    this.forgetPublished(tenant.namespace);
    if (layout.mode === 'catalog') {
      await this.executeStatement(this.adminTarget(), `DROP CATALOG IF EXISTS ${layout.catalog} CASCADE`);
    } else {
      for (const layer of LAYERS) await this.executeStatement(this.adminTarget(), `DROP SCHEMA IF EXISTS ${layout.qualified(layer)} CASCADE`);
    }
  }

  async execute(tenant: TenantNamespace, sql: string, params?: SqlParam[], options?: QueryOptions): Promise<void> {
    assertTenant(tenant);
    const layout = this.layout(tenant);
    await this.executeStatement(this.target(layout), this.tenantSql(layout, sql), params, options?.timeoutMs);
  }

  async query<R extends Row = Row>(tenant: TenantNamespace, sql: string, params?: SqlParam[], options?: QueryOptions): Promise<QueryResult<R>> {
    assertTenant(tenant);
    const layout = this.layout(tenant);
    return this.readAll<R>(this.target(layout), this.tenantSql(layout, sql), params, options?.timeoutMs);
  }

  async *stream(tenant: TenantNamespace, sql: string, params?: SqlParam[], options?: StreamOptions): AsyncGenerator<Row[]> {
    assertTenant(tenant);
    const layout = this.layout(tenant);
    yield* this.readChunks(this.target(layout), this.tenantSql(layout, sql), params, options);
  }

  /**
   * One session for the whole of `fn`, so temporary views and SET carry from one statement to
   * the next. A session that was given such state is closed afterwards instead of going back to
   * the pool, where it would leak into another caller's work.
   */
  async session<T>(tenant: TenantNamespace, fn: (session: WarehouseSession) => Promise<T>): Promise<T> {
    assertTenant(tenant);
    const layout = this.layout(tenant);
    const pool = this.pool(this.target(layout));
    let lease: Lease<IDBSQLSession>;
    try {
      lease = await pool.acquire();
    } catch (error) {
      throw toWarehouseError(error, 'session');
    }
    const pinned = new PinnedSession(lease);
    const prepare = (sql: string) => {
      assertOwnNamespace(sql, layout.scope, { sessionSettings: true });
      if (leavesSessionState(sql)) pinned.tainted = true;
      return layout.rewrite(sql);
    };
    try {
      return await fn({
        execute: (sql, params, options) => this.executeStatement(pinned, prepare(sql), params, options?.timeoutMs),
        query: <R extends Row = Row>(sql: string, params?: SqlParam[], options?: QueryOptions) =>
          this.readAll<R>(pinned, prepare(sql), params, options?.timeoutMs),
      });
    } finally {
      pool.release(lease, pinned.expired || pinned.tainted);
    }
  }

  async tableCounts(tenant: TenantNamespace, layer: Layer): Promise<TableCount[]> {
    assertTenant(tenant);
    if (!(LAYERS as readonly string[]).includes(layer)) {
      throw new WarehouseError('WAREHOUSE_IDENTIFIER_INVALID', `unknown layer ${JSON.stringify(layer)}`);
    }
    const layout = this.layout(tenant);
    const target = this.target(layout);
    const tables = (await this.listTables(target, layout, layer)).filter((t) => !t.startsWith(INTERNAL_TABLE_PREFIX));
    if (tables.length === 0) return [];
    const sql = tables.map((t) => `SELECT ? AS table_name, count(*) AS row_count FROM ${layout.qualified(layer)}.${quoteTable(t)}`).join(' UNION ALL ');
    const result = await this.readAll(target, sql, tables);
    return result.rows
      .map((row) => ({ layer, table: String(row.table_name), rows: Number(row.row_count) }))
      .sort((a, b) => a.table.localeCompare(b.table));
  }

  /*
   * Publishing pins Delta versions: publish(N) records, in gold._kineo_published, the current
   * Delta version of every gold table (DESCRIBE HISTORY ... LIMIT 1) in one INSERT, which is one
   * atomic Delta commit. Readers rewrite `gold.t` to `gold.t VERSION AS OF <pinned>`, so a build
   * rewriting gold never changes what a published version shows, and no data is copied. (Shallow
   * clones per version were the alternative: a schema and a clone per table per publish, more
   * objects to grant and clean up, for the same reads.) Pins stay readable as long as Delta
   * retention (VACUUM) keeps the files, which must exceed the snapshot grace period.
   */
  async publish(tenant: TenantNamespace, version: number): Promise<void> {
    assertTenant(tenant);
    if (!Number.isSafeInteger(version) || version < 1) {
      throw new WarehouseError('WAREHOUSE_VERSION_INVALID', `A published version is a positive integer, not ${version}.`);
    }
    const layout = this.layout(tenant);
    const target = this.target(layout);
    const gold = layout.qualified('gold');
    const registry = `${gold}.${PUBLISHED_TABLE}`;
    await this.executeStatement(target, `CREATE TABLE IF NOT EXISTS ${registry} (version INT, table_name STRING, delta_version BIGINT, published_at TIMESTAMP)`);
    this.registries.add(tenant.namespace);
    const last = await this.latestPublished(target, registry);
    if (last !== null && version <= last) {
      throw new WarehouseError('WAREHOUSE_VERSION_INVALID', `Version ${version} is not newer than the published version ${last}.`);
    }
    const tables = new Map<string, number>();
    for (const table of await this.listTables(target, layout, 'gold')) {
      if (table.startsWith(INTERNAL_TABLE_PREFIX)) continue;
      const history = await this.readAll(target, `DESCRIBE HISTORY ${gold}.${quoteTable(table)} LIMIT 1`);
      const deltaVersion = history.rows[0]?.version;
      if (deltaVersion === undefined || deltaVersion === null) {
        throw new WarehouseError('WAREHOUSE_QUERY_FAILED', `gold.${table} has no Delta history to pin.`);
      }
      tables.set(table, Number(deltaVersion));
    }
    const entries: Array<[string | null, number | null]> = tables.size > 0 ? [...tables] : [[null, null]];
    await this.executeStatement(
      target,
      `INSERT INTO ${registry} SELECT * FROM (VALUES ${entries.map(() => '(?, ?, ?, now())').join(', ')}) AS v(version, table_name, delta_version, published_at) ` +
        `WHERE NOT EXISTS (SELECT 1 FROM ${registry} WHERE version >= ?)`,
      [...entries.flatMap(([table, pinned]) => [version, table, pinned]), version],
    );
    const check = await this.readAll(target, `SELECT count(*) AS n FROM ${registry} WHERE version = ?`, [version]);
    if (Number(check.rows[0]?.n ?? 0) === 0) {
      throw new WarehouseError('WAREHOUSE_VERSION_INVALID', `Version ${version} is not newer than the published version.`);
    }
    this.rememberPins(tenant.namespace, { version, tables });
  }

  async publishedVersion(tenant: TenantNamespace): Promise<number | null> {
    assertTenant(tenant);
    const layout = this.layout(tenant);
    const target = this.target(layout);
    if (!(await this.hasRegistry(target, layout))) return null;
    return this.latestPublished(target, `${layout.qualified('gold')}.${PUBLISHED_TABLE}`);
  }

  async queryPublished<R extends Row = Row>(
    tenant: TenantNamespace,
    sql: string,
    params?: SqlParam[],
    options?: QueryOptions & { version?: number },
  ): Promise<QueryResult<R>> {
    assertTenant(tenant);
    await assertReadOnlySelect(sql, ['gold']);
    const layout = this.layout(tenant);
    const target = this.target(layout);
    return this.readAll<R>(target, await this.publishedSql(target, layout, sql, options?.version), params, options?.timeoutMs);
  }

  async *streamPublished(
    tenant: TenantNamespace,
    sql: string,
    params?: SqlParam[],
    options?: StreamOptions & { version?: number },
  ): AsyncGenerator<Row[]> {
    assertTenant(tenant);
    await assertReadOnlySelect(sql, ['gold']);
    const layout = this.layout(tenant);
    const target = this.target(layout);
    yield* this.readChunks(target, await this.publishedSql(target, layout, sql, options?.version), params, options);
  }

  /**
   * Uploads a landing file into the tenant's volume with the driver's staging operation: the
   * warehouse answers `PUT` with a presigned URL and the driver sends the bytes there itself.
   * The driver refuses a local file outside `stagingAllowedLocalPath` (the tenant's landing
   * folder), so no staging answer can make this process send, or overwrite, any other file.
   * It runs on a pooled session of its own, so a caller inside session() holds two at once.
   */
  async stageFile(tenant: TenantNamespace, localPath: string, name: string): Promise<string> {
    assertTenant(tenant);
    assertStagedName(name);
    const layout = this.layout(tenant);
    const landing = this.landingDir(tenant);
    const location = `${layout.volume.root}/${name}`;
    const file = path.resolve(localPath);
    if (!fs.existsSync(file)) throw new WarehouseError('WAREHOUSE_QUERY_FAILED', 'The file to stage does not exist.');
    const sql = `PUT ${databricksDialect.literal(file)} INTO ${databricksDialect.literal(location)} OVERWRITE`;
    await this.staging(layout, sql, landing);
    return location;
  }

  async removeStaged(tenant: TenantNamespace, location: string): Promise<void> {
    assertTenant(tenant);
    const layout = this.layout(tenant);
    const prefix = `${layout.volume.root}/`;
    if (!location.startsWith(prefix)) throw new WarehouseError('WAREHOUSE_QUERY_FAILED', "Refused: not a file in the tenant's volume.");
    assertStagedName(location.slice(prefix.length));
    await this.staging(layout, `REMOVE ${databricksDialect.literal(location)}`, this.landingDir(tenant));
  }

  /** Closes the tenant's idle sessions now (busy ones as they finish); the next call opens new ones. */
  async release(tenant: TenantNamespace): Promise<void> {
    assertTenant(tenant);
    await this.closePool(tenant.namespace);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((pool) => pool.close()));
    const client = await this.clientPromise?.catch(noop);
    await client?.close().catch(noop);
  }

  // --- namespaces -------------------------------------------------------------------------

  private layout(tenant: TenantNamespace): NamespaceLayout {
    return namespaceLayout(tenant.namespace, this.isolation);
  }

  private target(layout: NamespaceLayout): Target {
    return { key: layout.namespace, session: layout.session };
  }

  /** Provisioning sessions start nowhere in particular: every statement they run is fully qualified. */
  private adminTarget(): Target {
    return { key: ADMIN_KEY };
  }

  /** Model SQL kept inside the tenant's namespace, then shaped for the isolation mode. */
  private tenantSql(layout: NamespaceLayout, sql: string): string {
    assertOwnNamespace(sql, layout.scope);
    return layout.rewrite(sql);
  }

  private landingDir(tenant: TenantNamespace): string {
    if (!this.options.landingRoot) {
      throw new WarehouseError('WAREHOUSE_UNAVAILABLE', 'Staging files needs the landing folder (landingRoot) of this machine.');
    }
    return path.join(path.resolve(this.options.landingRoot), tenant.namespace);
  }

  private async staging(layout: NamespaceLayout, sql: string, allowedLocalPath: string): Promise<void> {
    // The time limit covers the transfer too: a large export gets at least an hour.
    const limitMs = Math.max(this.statementTimeoutMs, STAGING_TIMEOUT_MS);
    try {
      await this.executeStatement(this.target(layout), this.tenantSql(layout, sql), undefined, limitMs, [allowedLocalPath]);
    } catch (error) {
      const cause = error instanceof WarehouseError ? error.cause : error;
      if (isStagingRefusal(cause)) {
        throw new WarehouseError('WAREHOUSE_QUERY_FAILED', "Refused: the file to stage is outside the tenant's landing area.", { cause });
      }
      throw error;
    }
  }

  private async volumeExists(layout: NamespaceLayout): Promise<boolean> {
    const [catalog, schema, volume] = layout.volume.qualified.split('.');
    const result = await this.readAll(this.adminTarget(), `SHOW VOLUMES IN ${catalog}.${schema}`);
    const column = result.columns.find((c) => c.name === 'volumeName')?.name ?? result.columns.at(-1)?.name;
    return column !== undefined && result.rows.some((row) => row[column] === volume);
  }

  private async catalogExists(catalog: string): Promise<boolean> {
    const result = await this.readAll(this.adminTarget(), `SHOW CATALOGS LIKE '${catalog}'`);
    return firstColumn(result).includes(catalog);
  }

  private async tenantSchemas(layout: NamespaceLayout): Promise<Set<string>> {
    const like = layout.mode === 'schema' ? ` LIKE '${layout.namespace}_*'` : '';
    const result = await this.readAll(this.adminTarget(), `SHOW SCHEMAS IN ${layout.catalog}${like}`);
    return new Set(firstColumn(result));
  }

  private async listTables(target: Target, layout: NamespaceLayout, layer: Layer): Promise<string[]> {
    const result = await this.readAll(target, `SHOW TABLES IN ${layout.qualified(layer)}`);
    const name = result.columns.find((c) => c.name === 'tableName')?.name ?? result.columns[1]?.name;
    return result.rows.filter((row) => row.isTemporary !== true).map((row) => String(row[name ?? 'tableName']));
  }

  // --- publishing -------------------------------------------------------------------------

  private async hasRegistry(target: Target, layout: NamespaceLayout): Promise<boolean> {
    if (this.registries.has(layout.namespace)) return true;
    const exists = (await this.listTables(target, layout, 'gold')).includes(PUBLISHED_TABLE);
    if (exists) this.registries.add(layout.namespace);
    return exists;
  }

  private async latestPublished(target: Target, registry: string): Promise<number | null> {
    const result = await this.readAll(target, `SELECT max(version) AS v FROM ${registry}`);
    const value = result.rows[0]?.v;
    return value === null || value === undefined ? null : Number(value);
  }

  private async publishedSql(target: Target, layout: NamespaceLayout, sql: string, version: number | undefined): Promise<string> {
    assertOwnNamespace(sql, layout.scope);
    const pinned = await this.publishedPins(target, layout, version);
    return pinPublishedTables(sql, layout.schemaFor('gold'), pinned.tables, pinned.version);
  }

  private async publishedPins(target: Target, layout: NamespaceLayout, version: number | undefined): Promise<PublishedPins> {
    if (version !== undefined) {
      if (!Number.isSafeInteger(version) || version < 1) {
        throw new WarehouseError('WAREHOUSE_NOT_PUBLISHED', `Version ${version} has not been published.`);
      }
      const cached = this.pins.get(`${layout.namespace}:${version}`);
      if (cached) return cached;
    }
    if (!(await this.hasRegistry(target, layout))) {
      throw new WarehouseError('WAREHOUSE_NOT_PUBLISHED', 'Nothing has been published for this tenant yet.');
    }
    const registry = `${layout.qualified('gold')}.${PUBLISHED_TABLE}`;
    const result =
      version === undefined
        ? await this.readAll(target, `SELECT version, table_name, delta_version FROM ${registry} WHERE version = (SELECT max(version) FROM ${registry})`)
        : await this.readAll(target, `SELECT version, table_name, delta_version FROM ${registry} WHERE version = ?`, [version]);
    if (result.rows.length === 0) {
      throw new WarehouseError(
        'WAREHOUSE_NOT_PUBLISHED',
        version === undefined ? 'Nothing has been published for this tenant yet.' : `Version ${version} has not been published.`,
      );
    }
    const pinned: PublishedPins = { version: Number(result.rows[0].version), tables: new Map() };
    for (const row of result.rows) {
      if (row.table_name !== null && row.table_name !== undefined) pinned.tables.set(String(row.table_name), Number(row.delta_version));
    }
    this.rememberPins(layout.namespace, pinned);
    return pinned;
  }

  private rememberPins(namespace: string, pinned: PublishedPins): void {
    if (this.pins.size >= 1000) this.pins.delete(this.pins.keys().next().value!);
    this.pins.set(`${namespace}:${pinned.version}`, pinned);
  }

  private forgetPublished(namespace: string): void {
    this.registries.delete(namespace);
    for (const key of [...this.pins.keys()]) if (key.startsWith(`${namespace}:`)) this.pins.delete(key);
  }

  // --- sessions and statements ------------------------------------------------------------

  private client(): Promise<DBSQLClient> {
    if (this.closed) return Promise.reject(new WarehouseError('WAREHOUSE_UNAVAILABLE', 'The warehouse connection is closed.'));
    this.clientPromise ??= this.connect().catch((error: unknown) => {
      this.clientPromise = undefined;
      throw error;
    });
    return this.clientPromise;
  }

  private async connect(): Promise<DBSQLClient> {
    const { host, path, port, customCaCert, log } = this.options;
    const logger: IDBSQLLogger = { log: (level, message) => log?.(level, message) };
    const client = new (databricksSql().DBSQLClient)({ logger });
    const base = {
      host,
      path,
      port,
      customCaCert,
      telemetryEnabled: false,
      preserveBigNumericPrecision: true,
      retryMaxAttempts: 3,
      retryDelayMin: 200,
      retryDelayMax: 2_000,
      retriesTimeout: 30_000,
    };
    const auth = this.options.auth;
    const connection: ConnectionOptions =
      auth.kind === 'token'
        ? { ...base, token: auth.token }
        : {
            ...base,
            authType: 'token-provider',
            tokenProvider: new EntraTokenProvider(auth.credential ?? new DefaultAzureCredential(), auth.scope ?? AZURE_DATABRICKS_SCOPE),
          };
    await client.connect(connection);
    return client;
  }

  private async openSession(target: Target): Promise<IDBSQLSession> {
    const client = await this.client();
    return client.openSession({
      ...target.session,
      configuration: {
        STATEMENT_TIMEOUT: String(Math.max(1, Math.ceil(this.statementTimeoutMs / 1000))),
        TIMEZONE: 'UTC',
      },
    });
  }

  private source(target: Target | SessionSource): SessionSource {
    if ('acquire' in target) return target;
    const pool = this.pool(target);
    return { reopenable: true, acquire: () => pool.acquire(), release: (lease, discard) => pool.release(lease, discard) };
  }

  private pool(target: Target): SessionPool<IDBSQLSession> {
    if (this.closed) throw new WarehouseError('WAREHOUSE_UNAVAILABLE', 'The warehouse connection is closed.');
    let pool = this.pools.get(target.key);
    if (!pool) {
      pool = new SessionPool(() => this.openSession(target), this.limits);
      this.pools.set(target.key, pool);
    }
    return pool;
  }

  private async closePool(key: string): Promise<void> {
    const pool = this.pools.get(key);
    this.pools.delete(key);
    await pool?.close();
  }

  private statementOptions(params: SqlParam[] | undefined, limitMs: number, stagingAllowedLocalPath?: string[]) {
    return { ordinalParameters: params ?? [], queryTimeout: Math.max(1, Math.ceil(limitMs / 1000)), ...(stagingAllowedLocalPath ? { stagingAllowedLocalPath } : {}) };
  }

  /**
   * Runs one statement that returns nothing to keep. It is never sent twice after the server
   * accepted it (a write may have happened); it is resent once on a fresh session when the
   * server rejected the session itself (expired), and session opening is retried when transient.
   * With `stagingAllowedLocalPath`, a staging answer (PUT/GET/REMOVE) is carried out by the driver.
   */
  private async executeStatement(
    target: Target | SessionSource,
    sql: string,
    params?: SqlParam[],
    timeoutMs?: number,
    stagingAllowedLocalPath?: string[],
  ): Promise<void> {
    const limitMs = timeoutMs ?? this.statementTimeoutMs;
    const deadline = new Deadline(limitMs + this.timeoutGraceMs);
    let sessionRetried = false;
    let openRetries = 0;
    try {
      for (;;) {
        const pool = this.source(target);
        let lease: Lease<IDBSQLSession> | undefined;
        let operation: IOperation | undefined;
        try {
          lease = await pool.acquire();
          if (deadline.timedOut) throw timeoutError();
          operation = await lease.session.executeStatement(sql, this.statementOptions(params, limitMs, stagingAllowedLocalPath));
          deadline.watch(operation);
          await operation.finished();
          await operation.close().catch(noop);
          pool.release(lease);
          return;
        } catch (error) {
          await operation?.close().catch(noop);
          const invalid = isInvalidSessionError(error);
          if (lease) pool.release(lease, invalid);
          if (deadline.timedOut) throw timeoutError(error);
          if (invalid && !operation && pool.reopenable && !sessionRetried) {
            sessionRetried = true;
            continue;
          }
          if (!lease && isTransientError(error) && openRetries < this.readRetries) {
            await sleep(this.retryBackoffMs * 2 ** openRetries++);
            continue;
          }
          throw toWarehouseError(error, lease ? 'statement' : 'session');
        }
      }
    } finally {
      deadline.clear();
    }
  }

  /**
   * Starts a read and fetches its first page. A read is idempotent, so until the first page is in
   * hand it is retried on transient failures (with backoff) and once on an expired session.
   */
  private async openCursor(target: Target | SessionSource, sql: string, params: SqlParam[] | undefined, timeoutMs: number | undefined, pageRows: number): Promise<Cursor> {
    const limitMs = timeoutMs ?? this.statementTimeoutMs;
    const deadline = new Deadline(limitMs + this.timeoutGraceMs);
    let sessionRetried = false;
    let retries = 0;
    try {
      for (;;) {
        const pool = this.source(target);
        let lease: Lease<IDBSQLSession> | undefined;
        let operation: IOperation | undefined;
        try {
          lease = await pool.acquire();
          if (deadline.timedOut) throw timeoutError();
          operation = await lease.session.executeStatement(sql, this.statementOptions(params, limitMs));
          deadline.watch(operation);
          await operation.finished();
          const columns = resultColumns((await operation.getSchema()) as ThriftTableSchema | null);
          const first = normaliseRows(columns, await operation.fetchChunk({ maxRows: pageRows }));
          const leased = lease;
          return new Cursor(columns, operation, first, pageRows, (discard) => pool.release(leased, discard));
        } catch (error) {
          await operation?.close().catch(noop);
          const invalid = isInvalidSessionError(error);
          if (lease) pool.release(lease, invalid);
          if (deadline.timedOut) throw timeoutError(error);
          if (invalid && pool.reopenable && !sessionRetried) {
            sessionRetried = true;
            continue;
          }
          if (isTransientError(error) && retries < this.readRetries) {
            await sleep(this.retryBackoffMs * 2 ** retries++);
            continue;
          }
          throw toWarehouseError(error, lease ? 'statement' : 'session');
        }
      }
    } finally {
      deadline.clear();
    }
  }

  private async readAll<R extends Row = Row>(target: Target | SessionSource, sql: string, params?: SqlParam[], timeoutMs?: number): Promise<QueryResult<R>> {
    const cursor = await this.openCursor(target, sql, params, timeoutMs, this.fetchRows);
    const rows: Row[] = [];
    try {
      for (let chunk = await cursor.next(); chunk; chunk = await cursor.next()) rows.push(...chunk);
    } finally {
      await cursor.close();
    }
    return { columns: cursor.columns.map(({ name, type }) => ({ name, type })), rows: rows as R[] };
  }

  private async *readChunks(target: Target, sql: string, params: SqlParam[] | undefined, options: StreamOptions | undefined): AsyncGenerator<Row[]> {
    const pageRows = Math.max(1, Math.floor(options?.chunkSize ?? this.fetchRows));
    const cursor = await this.openCursor(target, sql, params, options?.timeoutMs, pageRows);
    try {
      for (let chunk = await cursor.next(); chunk; chunk = await cursor.next()) yield chunk;
    } finally {
      await cursor.close();
    }
  }
}

function firstColumn(result: QueryResult): string[] {
  const name = result.columns[0]?.name;
  return name === undefined ? [] : result.rows.map((row) => String(row[name]));
}
