import type { Dialect } from './dialect';

export type Engine = 'duckdb' | 'databricks';

export const LAYERS = ['bronze', 'silver', 'gold'] as const;
export type Layer = (typeof LAYERS)[number];

/** Which tenant a call is for. The namespace comes from Postgres, never from a request. */
export interface TenantNamespace {
  tenantId: string;
  namespace: string;
}

export type SqlParam = string | number | bigint | boolean | null | Date;

/**
 * Row values are plain JSON-friendly JavaScript: integers that fit are numbers (else bigint),
 * decimals numbers, dates 'YYYY-MM-DD' strings, timestamps ISO-8601 strings, NULL null.
 */
export type Row = Record<string, unknown>;

export interface Column {
  name: string;
  type: string;
}

export interface QueryResult<R extends Row = Row> {
  columns: Column[];
  rows: R[];
}

export interface QueryOptions {
  /** Abort a statement that runs longer (driver default from settings when unset). */
  timeoutMs?: number;
}

export interface StreamOptions extends QueryOptions {
  /** Rows per chunk; the whole result is never held in memory. */
  chunkSize?: number;
}

export interface TableCount {
  layer: Layer;
  table: string;
  rows: number;
}

export interface ProvisionReport {
  namespace: string;
  /** What this call created; empty when everything already existed. */
  created: string[];
  /** SQL a platform admin runs to grant the tenant's principal access (Databricks). */
  grants: string[];
}

/**
 * The tenant's own folders of the working area, where rows written in bulk may be kept as files
 * that the tenant's SQL writes (COPY ... TO) and reads (read_parquet) in place. Table and file
 * names are plain names, never paths.
 */
export interface LocalTableFiles {
  /** The folder of `table` in `layer`, made if missing. */
  folder(layer: Layer, table: string): string;
  /** The names in that folder, sorted; none when it does not exist. */
  list(layer: Layer, table: string): string[];
  /** Removes one entry of that folder (a file, or a folder a crash left); nothing when it is gone. */
  remove(layer: Layer, table: string, name: string): void;
}

/**
 * A caller's way of writing rows in bulk for each kind of storage a driver can have; the driver
 * runs the one that fits it (see Warehouse.bulkStorage).
 */
export interface BulkStorageChoices<T> {
  /** The working layers take files in the tenant's folders (DuckDB): bulk rows go to Parquet files behind views. */
  localFiles(files: LocalTableFiles): T;
  /** The working layers are the engine's own tables (Databricks Delta): bulk rows go in with INSERT, out with DELETE. */
  engineTables(): T;
}

/**
 * The engine's version of each of a layer's tables, as a build's stage left them (Delta table
 * versions on Databricks). A version prepared with them pins exactly those, whatever wrote the
 * tables since.
 */
export type TableVersions = Readonly<Record<string, number>>;

/** A working table a derivation rewrote and could not put back (see Warehouse.deriveVersion). */
export interface UnrestoredTable {
  table: string;
  /** The table version it was to be put back to. */
  version: number;
  /** The engine's error, after one retry. */
  error: string;
}

export interface DerivedVersion {
  /** Working tables left with the derivation's content; none on engines that derive on a copy (DuckDB). */
  unrestored: UnrestoredTable[];
}

/** Statements on one connection, so temporary tables and settings carry from one to the next. */
export interface WarehouseSession {
  execute(sql: string, params?: SqlParam[], options?: QueryOptions): Promise<void>;
  query<R extends Row = Row>(sql: string, params?: SqlParam[], options?: QueryOptions): Promise<QueryResult<R>>;
}

/**
 * One interface over the embedded (DuckDB) and the cloud (Databricks) engines. Models run on
 * the tenant's working layers through execute/query; readers (gateway, `kineo sql`) only ever
 * see a published gold version through queryPublished/streamPublished.
 */
export interface Warehouse {
  readonly engine: Engine;
  /** How this engine spells the constructs the engines disagree on. */
  readonly dialect: Dialect;

  /** Creates the tenant's namespace and its bronze, silver and gold layers; idempotent. */
  provision(tenant: TenantNamespace): Promise<ProvisionReport>;
  isProvisioned(tenant: TenantNamespace): Promise<boolean>;
  /** Removes the namespace and everything in it. */
  drop(tenant: TenantNamespace): Promise<void>;

  /** Runs one statement on the tenant's working layers (worker side). */
  execute(tenant: TenantNamespace, sql: string, params?: SqlParam[], options?: QueryOptions): Promise<void>;
  query<R extends Row = Row>(tenant: TenantNamespace, sql: string, params?: SqlParam[], options?: QueryOptions): Promise<QueryResult<R>>;
  stream(tenant: TenantNamespace, sql: string, params?: SqlParam[], options?: StreamOptions): AsyncGenerator<Row[]>;
  /** Runs `fn` with one session on the tenant's working layers (worker side). */
  session<T>(tenant: TenantNamespace, fn: (session: WarehouseSession) => Promise<T>): Promise<T>;
  /** Row counts of every table in a layer of the working area. */
  tableCounts(tenant: TenantNamespace, layer: Layer): Promise<TableCount[]>;

  /**
   * The current version of each of `tables` (plain names) in the working `layer`, for a build's
   * stage to record what it wrote; null on an engine whose working layers only builds write
   * (DuckDB: a refresh derives on a copy of a snapshot), which has nothing to pin.
   */
  tableVersions(tenant: TenantNamespace, layer: Layer, tables: readonly string[]): Promise<TableVersions | null>;
  /**
   * Copies (or pins) the current gold layer as version `version` (> the published one), readable by
   * number (`queryPublished` with `version`) but not yet the latest: the first half of a publish
   * whose second half (`publish`) comes once the version is recorded elsewhere (Postgres). Doing it
   * again for a version not yet published replaces it. With `built` (from tableVersions, only
   * where it is not null), those gold tables are pinned at those versions rather than as they are
   * now, so nothing written between the build's stages and its publish reaches the version.
   */
  prepareVersion(tenant: TenantNamespace, version: number, built?: TableVersions): Promise<void>;
  /**
   * Prepares version `version` (> the published one) as published version `from`'s gold with
   * `statements` run on it, leaving the working layers alone: how a release's new or changed
   * rollups reach a version without rebuilding its gold. Readable by number, not yet the latest,
   * like prepareVersion; `publish` makes it the latest; deriving it again before then replaces it.
   * Each statement rewrites one table whole, `CREATE OR REPLACE TABLE gold.<t> AS <query>`, its
   * query reading only `gold.<t>` tables: that is all Databricks takes (it pins `from`'s Delta
   * versions instead of copying), so it is what callers send to either engine. Where the engine
   * rewrites the working tables to do so (Databricks), it puts them back, retried once; tables it
   * could not put back are returned, not thrown: the version is right, and a build pins its own
   * tables (prepareVersion's `built`), but the caller must make them seen.
   */
  deriveVersion(tenant: TenantNamespace, from: number, version: number, statements: readonly string[]): Promise<DerivedVersion>;
  /**
   * Makes gold the tenant's published version `version` (> the last one): a version prepared
   * before only becomes the latest (the pointer moves); otherwise the current gold layer is copied first.
   */
  publish(tenant: TenantNamespace, version: number): Promise<void>;
  /** The published version, or null before the first publish. */
  publishedVersion(tenant: TenantNamespace): Promise<number | null>;
  /** Read-only query on a published gold version (the latest when unset). */
  queryPublished<R extends Row = Row>(
    tenant: TenantNamespace,
    sql: string,
    params?: SqlParam[],
    options?: QueryOptions & { version?: number },
  ): Promise<QueryResult<R>>;
  streamPublished(
    tenant: TenantNamespace,
    sql: string,
    params?: SqlParam[],
    options?: StreamOptions & { version?: number },
  ): AsyncGenerator<Row[]>;

  /**
   * Puts a file from the tenant's landing area where this engine's file readers see it, as
   * `name` (relative, e.g. `<batch>/<file>.csv`), and returns that location for SQL. DuckDB reads
   * the landing area in place; Databricks uploads into the tenant's volume. A path outside the
   * tenant's landing area is refused.
   */
  stageFile(tenant: TenantNamespace, localPath: string, name: string): Promise<string>;
  /** Removes what stageFile put there (the landing file itself stays). */
  removeStaged(tenant: TenantNamespace, location: string): Promise<void>;

  /**
   * The caller's way of writing rows in bulk that fits how this engine keeps the tenant's working
   * layers, so a caller (the pipeline's loaders) never asks which engine it talks to.
   */
  bulkStorage<T>(tenant: TenantNamespace, choices: BulkStorageChoices<T>): T;

  /**
   * Frees what published versions older than the newest `keep` hold, except versions a reader
   * still has open, and returns the versions removed, ascending; those are no longer readable.
   * Versions that hold nothing of their own are never removed (Databricks: a version pins Delta
   * table versions, whose files Delta's retention cleans up).
   */
  pruneSnapshots(tenant: TenantNamespace, keep: number): Promise<number[]>;

  /** Closes what is open for this tenant's working layers, so another process may open them. */
  release(tenant: TenantNamespace): Promise<void>;
  /** Runs a trivial statement on the engine itself, outside any tenant (a health check with no tenant to ask). */
  ping(): Promise<void>;
  /** Releases every handle and connection. */
  close(): Promise<void>;
}
