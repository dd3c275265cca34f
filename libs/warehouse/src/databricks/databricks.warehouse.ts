import type IDBSQLSession from '@databricks/sql/dist/contracts/IDBSQLSession';
import { databricksDialect } from '../dialect';
import { WarehouseError } from '../errors';
import { assertTenant } from '../namespace';
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
import { toWarehouseError } from './driver-errors.util';
import { FileStaging } from './file-staging';
import { grantStatements, namespaceLayout, type DatabricksIsolation, type NamespaceLayout, type PrincipalName } from './namespace-layout.util';
import { INTERNAL_TABLE_PREFIX, PublishedVersions, quoteTable } from './published-versions';
import type { Lease, PoolLimits } from './session-pool';
import { ReadOnlyGuard } from '../read-only';
import { assertReadOnlyDatabricksSelect } from './read-only-text.util';
import { assertOwnNamespace, leadingWords } from './sql-text.util';
import { StatementRunner } from './statement-runner';
import { PinnedSession, TenantSessions, type DatabricksAuth, type Target } from './tenant-sessions';

export type { DatabricksAuth } from './tenant-sessions';

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

const ADMIN_KEY = '\0admin';

function leavesSessionState(sql: string): boolean {
  const [first, ...rest] = leadingWords(sql, 5);
  return first === 'set' || first === 'reset' || first === 'declare' || (first === 'create' && (rest.includes('temp') || rest.includes('temporary')));
}

/**
 * The Warehouse on Databricks SQL: where each tenant lives (a catalog, or schemas in a shared
 * one) and what each call runs there. Its parts: TenantSessions (the client and a bounded
 * session pool per tenant), StatementRunner (statements, cursors, time limits and the one
 * RetryPolicy), PublishedVersions (the published-version registry) and FileStaging (landing
 * files into the tenant's volume). Every failure is a WarehouseError.
 */
export class DatabricksWarehouse implements Warehouse {
  readonly engine = 'databricks' as const;
  readonly dialect = databricksDialect;

  private readonly isolation: DatabricksIsolation;
  private readonly sessions: TenantSessions;
  private readonly runner: StatementRunner;
  private readonly published: PublishedVersions;
  private readonly staging: FileStaging;
  /** Checks SQL before it reaches the workspace; its parser engine is closed with the warehouse. */
  private readonly guard = new ReadOnlyGuard();

  constructor(private readonly options: DatabricksWarehouseOptions) {
    if (!options.host || !options.path) throw new WarehouseError('WAREHOUSE_UNAVAILABLE', 'The Databricks host and HTTP path are required.');
    this.isolation = options.isolation ?? { mode: 'catalog' };
    const statementTimeoutMs = options.statementTimeoutMs ?? 5 * 60_000;
    this.sessions = new TenantSessions(
      { host: options.host, path: options.path, port: options.port, auth: options.auth, customCaCert: options.customCaCert, log: options.log, statementTimeoutMs },
      {
        maxSessions: options.pool?.maxSessions ?? 4,
        idleMs: options.pool?.idleMs ?? 5 * 60_000,
        acquireTimeoutMs: options.pool?.acquireTimeoutMs ?? 60_000,
      },
    );
    this.runner = new StatementRunner(this.sessions, {
      statementTimeoutMs,
      timeoutGraceMs: options.timeoutGraceMs ?? 250,
      fetchRows: options.fetchRows ?? 10_000,
      retry: { retries: options.readRetries ?? 2, backoffMs: options.retryBackoffMs ?? 200 },
    });
    this.published = new PublishedVersions(this.runner, (target, layout, layer) => this.listTables(target, layout, layer));
    this.staging = new FileStaging(this.runner, { statementTimeoutMs, landingRoot: options.landingRoot });
  }

  async provision(tenant: TenantNamespace): Promise<ProvisionReport> {
    assertTenant(tenant);
    const layout = this.layout(tenant);
    const admin = this.adminTarget();
    const created: string[] = [];
    if (layout.mode === 'catalog' && !(await this.catalogExists(layout.catalog))) {
      await this.runner.execute(admin, `CREATE CATALOG IF NOT EXISTS ${layout.catalog}`);
      created.push(layout.catalog);
    }
    const schemas = await this.tenantSchemas(layout);
    for (const layer of LAYERS) {
      if (schemas.has(layout.schemaFor(layer))) continue;
      await this.runner.execute(admin, `CREATE SCHEMA IF NOT EXISTS ${layout.qualified(layer)}`);
      created.push(layout.qualified(layer));
    }
    if (!(await this.volumeExists(layout))) {
      await this.runner.execute(admin, `CREATE VOLUME IF NOT EXISTS ${layout.volume.qualified}`);
      created.push(layout.volume.qualified);
    }
    const grants = grantStatements(layout, {
      reader: this.options.grants?.reader ?? 'kineo-{namespace}-reader',
      writer: this.options.grants?.writer ?? 'kineo-{namespace}-writer',
    });
    if (this.options.grants?.apply) {
      for (const grant of grants) await this.runner.execute(admin, grant);
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
    await this.sessions.closePool(tenant.namespace);
    this.published.forget(tenant.namespace);
    if (layout.mode === 'catalog') {
      await this.runner.execute(this.adminTarget(), `DROP CATALOG IF EXISTS ${layout.catalog} CASCADE`);
    } else {
      for (const layer of LAYERS) await this.runner.execute(this.adminTarget(), `DROP SCHEMA IF EXISTS ${layout.qualified(layer)} CASCADE`);
    }
  }

  async execute(tenant: TenantNamespace, sql: string, params?: SqlParam[], options?: QueryOptions): Promise<void> {
    assertTenant(tenant);
    const layout = this.layout(tenant);
    await this.runner.execute(this.target(layout), this.tenantSql(layout, sql), params, options?.timeoutMs);
  }

  async query<R extends Row = Row>(tenant: TenantNamespace, sql: string, params?: SqlParam[], options?: QueryOptions): Promise<QueryResult<R>> {
    assertTenant(tenant);
    const layout = this.layout(tenant);
    return this.runner.readAll<R>(this.target(layout), this.tenantSql(layout, sql), params, options?.timeoutMs);
  }

  async *stream(tenant: TenantNamespace, sql: string, params?: SqlParam[], options?: StreamOptions): AsyncGenerator<Row[]> {
    assertTenant(tenant);
    const layout = this.layout(tenant);
    yield* this.runner.readChunks(this.target(layout), this.tenantSql(layout, sql), params, options);
  }

  /**
   * One session for the whole of `fn`, so temporary views and SET carry from one statement to
   * the next. A session that was given such state is closed afterwards instead of going back to
   * the pool, where it would leak into another caller's work.
   */
  async session<T>(tenant: TenantNamespace, fn: (session: WarehouseSession) => Promise<T>): Promise<T> {
    assertTenant(tenant);
    const layout = this.layout(tenant);
    const pool = this.sessions.pool(this.target(layout));
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
        execute: (sql, params, options) => this.runner.execute(pinned, prepare(sql), params, options?.timeoutMs),
        query: <R extends Row = Row>(sql: string, params?: SqlParam[], options?: QueryOptions) =>
          this.runner.readAll<R>(pinned, prepare(sql), params, options?.timeoutMs),
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
    const result = await this.runner.readAll(target, sql, tables);
    return result.rows
      .map((row) => ({ layer, table: String(row.table_name), rows: Number(row.row_count) }))
      .sort((a, b) => a.table.localeCompare(b.table));
  }

  /** Each table's current Delta version (DESCRIBE HISTORY), for a build's stage to record what it wrote. */
  async tableVersions(tenant: TenantNamespace, layer: Layer, tables: readonly string[]): Promise<TableVersions | null> {
    assertTenant(tenant);
    if (!(LAYERS as readonly string[]).includes(layer)) {
      throw new WarehouseError('WAREHOUSE_IDENTIFIER_INVALID', `unknown layer ${JSON.stringify(layer)}`);
    }
    const layout = this.layout(tenant);
    return this.published.tableVersions(this.target(layout), layout, layer, tables);
  }

  /**
   * Pins the current gold (the tables in `built` at the Delta versions given) as `version` in the
   * prepared registry: readable by number, not the latest until `publish`, replaced if prepared
   * again before then.
   */
  async prepareVersion(tenant: TenantNamespace, version: number, built?: TableVersions): Promise<void> {
    assertTenant(tenant);
    const layout = this.layout(tenant);
    await this.published.prepare(this.target(layout), layout, version, built);
  }

  /**
   * The statements (CREATE OR REPLACE TABLE gold.t AS ...) read `from`'s pinned Delta versions and
   * write new versions of their tables; `version` pins those and `from`'s pins for the rest. No
   * data is copied; the working tables they rewrote are restored (see PublishedVersions.derive).
   */
  async deriveVersion(tenant: TenantNamespace, from: number, version: number, statements: readonly string[]): Promise<DerivedVersion> {
    assertTenant(tenant);
    const layout = this.layout(tenant);
    return this.published.derive(this.target(layout), layout, from, version, statements);
  }

  async publish(tenant: TenantNamespace, version: number): Promise<void> {
    assertTenant(tenant);
    const layout = this.layout(tenant);
    await this.published.publish(this.target(layout), layout, version);
  }

  async publishedVersion(tenant: TenantNamespace): Promise<number | null> {
    assertTenant(tenant);
    const layout = this.layout(tenant);
    return this.published.current(this.target(layout), layout);
  }

  async queryPublished<R extends Row = Row>(
    tenant: TenantNamespace,
    sql: string,
    params?: SqlParam[],
    options?: QueryOptions & { version?: number },
  ): Promise<QueryResult<R>> {
    assertTenant(tenant);
    await assertReadOnlyDatabricksSelect(this.guard, sql, ['gold']);
    const layout = this.layout(tenant);
    const target = this.target(layout);
    return this.runner.readAll<R>(target, await this.published.pinnedSql(target, layout, sql, options?.version), params, options?.timeoutMs);
  }

  async *streamPublished(
    tenant: TenantNamespace,
    sql: string,
    params?: SqlParam[],
    options?: StreamOptions & { version?: number },
  ): AsyncGenerator<Row[]> {
    assertTenant(tenant);
    await assertReadOnlyDatabricksSelect(this.guard, sql, ['gold']);
    const layout = this.layout(tenant);
    const target = this.target(layout);
    yield* this.runner.readChunks(target, await this.published.pinnedSql(target, layout, sql, options?.version), params, options);
  }

  async stageFile(tenant: TenantNamespace, localPath: string, name: string): Promise<string> {
    assertTenant(tenant);
    const layout = this.layout(tenant);
    return this.staging.stage(this.target(layout), layout, localPath, name);
  }

  async removeStaged(tenant: TenantNamespace, location: string): Promise<void> {
    assertTenant(tenant);
    const layout = this.layout(tenant);
    await this.staging.remove(this.target(layout), layout, location);
  }

  /** Bulk rows go into the tenant's Delta tables; files reach SQL through its volume (stageFile). */
  bulkStorage<T>(tenant: TenantNamespace, choices: BulkStorageChoices<T>): T {
    assertTenant(tenant);
    return choices.engineTables();
  }

  /**
   * A published version is a row of pins on Delta table versions and holds no data of its own;
   * Delta's retention (VACUUM) frees old table versions. So nothing is removed.
   */
  async pruneSnapshots(tenant: TenantNamespace, keep: number): Promise<number[]> {
    assertTenant(tenant);
    if (!Number.isInteger(keep) || keep < 1) {
      throw new WarehouseError('WAREHOUSE_VERSION_INVALID', `The number of published versions to keep is a whole number of at least 1, not ${keep}.`);
    }
    return [];
  }

  /** Closes the tenant's idle sessions now (busy ones as they finish); the next call opens new ones. */
  async release(tenant: TenantNamespace): Promise<void> {
    assertTenant(tenant);
    await this.sessions.closePool(tenant.namespace);
  }

  async ping(): Promise<void> {
    await this.runner.readAll(this.adminTarget(), 'SELECT 1');
  }

  async close(): Promise<void> {
    await Promise.all([this.sessions.close(), this.guard.close()]);
  }

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

  private async volumeExists(layout: NamespaceLayout): Promise<boolean> {
    const [catalog, schema, volume] = layout.volume.qualified.split('.');
    const result = await this.runner.readAll(this.adminTarget(), `SHOW VOLUMES IN ${catalog}.${schema}`);
    const column = result.columns.find((c) => c.name === 'volumeName')?.name ?? result.columns.at(-1)?.name;
    return column !== undefined && result.rows.some((row) => row[column] === volume);
  }

  private async catalogExists(catalog: string): Promise<boolean> {
    const result = await this.runner.readAll(this.adminTarget(), `SHOW CATALOGS LIKE '${catalog}'`);
    return firstColumn(result).includes(catalog);
  }

  private async tenantSchemas(layout: NamespaceLayout): Promise<Set<string>> {
    const like = layout.mode === 'schema' ? ` LIKE '${layout.namespace}_*'` : '';
    const result = await this.runner.readAll(this.adminTarget(), `SHOW SCHEMAS IN ${layout.catalog}${like}`);
    return new Set(firstColumn(result));
  }

  private async listTables(target: Target, layout: NamespaceLayout, layer: Layer): Promise<string[]> {
    const result = await this.runner.readAll(target, `SHOW TABLES IN ${layout.qualified(layer)}`);
    const name = result.columns.find((c) => c.name === 'tableName')?.name ?? result.columns[1]?.name;
    return result.rows.filter((row) => row.isTemporary !== true).map((row) => String(row[name ?? 'tableName']));
  }
}

function firstColumn(result: QueryResult): string[] {
  const name = result.columns[0]?.name;
  return name === undefined ? [] : result.rows.map((row) => String(row[name]));
}
