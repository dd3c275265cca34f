import { WarehouseError } from '../errors';
import { textValue } from '../text-value.util';
import type { DerivedVersion, Layer, Row, TableVersions, UnrestoredTable } from '../types';
import type { NamespaceLayout } from './namespace-layout.util';
import { assertOwnNamespace, identifierChains, identifierName, isSignificant, pinPublishedTables, tokenizeSql } from './sql-text.util';
import type { StatementRunner } from './statement-runner';
import type { Target } from './tenant-sessions';

export const PUBLISHED_TABLE = '_kineo_published';
/** Pins of versions prepared (or derived) and not yet published. */
export const PREPARED_TABLE = '_kineo_prepared';
/** Tables of ours in a tenant's schemas, left out of counts and pins. */
export const INTERNAL_TABLE_PREFIX = '_kineo';
const SAFE_TABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function quoteTable(name: string): string {
  return SAFE_TABLE_NAME.test(name) ? name : `\`${name.replace(/`/g, '``')}\``;
}

interface PublishedPins {
  version: number;
  tables: Map<string, number>;
}

export type ListTables = (target: Target, layout: NamespaceLayout, layer: Layer) => Promise<string[]>;

/*
 * Publishing pins Delta versions: publish(N) records, in gold._kineo_published, the current
 * Delta version of every gold table (DESCRIBE HISTORY ... LIMIT 1) in one INSERT, which is one
 * atomic Delta commit. Readers rewrite `gold.t` to `gold.t VERSION AS OF <pinned>`, so a build
 * rewriting gold never changes what a published version shows, and no data is copied. (Shallow
 * clones per version were the alternative: a schema and a clone per table per publish, more
 * objects to grant and clean up, for the same reads.) Pins stay readable as long as Delta
 * retention (VACUUM) keeps the files, which must exceed the snapshot grace period.
 *
 * A version prepared (or derived) before it is published has its pins in gold._kineo_prepared:
 * readable by number, never the latest, and replaced if prepared again, so an attempt whose
 * Postgres record never committed leaves nothing a later build or refresh could mistake for its
 * own. publish(N) then copies N's prepared pins into the registry in its one INSERT.
 */

/** The published-version registry: each tenant's gold._kineo_published, and the pins read from it, remembered. */
export class PublishedVersions {
  private readonly pins = new Map<string, PublishedPins>();
  private readonly registries = new Set<string>();
  private readonly preparedTables = new Set<string>();

  constructor(
    private readonly runner: StatementRunner,
    private readonly listTables: ListTables,
  ) {}

  async publish(target: Target, layout: NamespaceLayout, version: number): Promise<void> {
    const registry = await this.assertNewer(target, layout, version);
    const tables = (await this.preparedPins(target, layout, version))?.tables ?? (await this.goldPins(target, layout));
    const entries: Array<[string | null, number | null]> = tables.size > 0 ? [...tables] : [[null, null]];
    await this.runner.execute(
      target,
      `INSERT INTO ${registry} SELECT * FROM (VALUES ${entries.map(() => '(?, ?, ?, now())').join(', ')}) AS v(version, table_name, delta_version, published_at) ` +
        `WHERE NOT EXISTS (SELECT 1 FROM ${registry} WHERE version >= ?)`,
      [...entries.flatMap(([table, pinned]) => [version, table, pinned]), version],
    );
    const check = await this.runner.readAll(target, `SELECT count(*) AS n FROM ${registry} WHERE version = ?`, [version]);
    if (Number(check.rows[0]?.n ?? 0) === 0) {
      throw new WarehouseError('WAREHOUSE_VERSION_INVALID', `Version ${version} is not newer than the published version.`);
    }
    this.remember(layout.namespace, { version, tables });
  }

  /**
   * Pins the current gold as version `version`, readable by number but not the latest until
   * published; the tables in `built` at the Delta versions given (what a build's stages wrote),
   * whatever wrote them since: a refresh between the build's last stage and its publish, whose
   * RESTORE may have failed, would otherwise be pinned in the build's version.
   */
  async prepare(target: Target, layout: NamespaceLayout, version: number, built: TableVersions = {}): Promise<void> {
    await this.assertNewer(target, layout, version);
    const tables = (await this.listTables(target, layout, 'gold')).filter((t) => !t.startsWith(INTERNAL_TABLE_PREFIX));
    for (const [table, pinned] of Object.entries(built)) {
      if (!Number.isSafeInteger(pinned) || pinned < 0) {
        throw new WarehouseError('WAREHOUSE_VERSION_INVALID', `A Delta version to pin is a whole number of at least 0, not ${pinned} (gold.${table}).`);
      }
      if (!tables.includes(table)) {
        throw new WarehouseError('WAREHOUSE_VERSION_INVALID', `gold.${table}, written by the build at Delta version ${pinned}, is no longer a table of the tenant's gold, so version ${version} was not prepared.`);
      }
    }
    // A table the build recorded costs no DESCRIBE HISTORY here: one round trip each on a workspace.
    const pins = new Map<string, number>();
    const gold = layout.qualified('gold');
    for (const table of tables) pins.set(table, Object.hasOwn(built, table) ? built[table] : await this.headVersion(target, gold, table));
    await this.stage(target, layout, version, pins);
  }

  /** The Delta version each of `tables` of `layer` is at now. */
  async tableVersions(target: Target, layout: NamespaceLayout, layer: Layer, tables: readonly string[]): Promise<Record<string, number>> {
    const versions: Record<string, number> = {};
    for (const table of tables) {
      if (!SAFE_TABLE_NAME.test(table) || table.startsWith(INTERNAL_TABLE_PREFIX)) {
        throw new WarehouseError('WAREHOUSE_IDENTIFIER_INVALID', `${JSON.stringify(table)} is not a table name of the tenant's ${layer}.`);
      }
      versions[table] = await this.headVersion(target, layout.qualified(layer), table, layer);
    }
    return versions;
  }

  /**
   * Version `version` as version `from` with `statements` run on it, prepared (not yet the latest).
   * Each statement rewrites one gold table whole (CREATE OR REPLACE TABLE gold.t AS ...) reading
   * `from`'s pinned Delta versions, never the working gold (a build may have rewritten it without
   * publishing, or stopped half way), and the tables rewritten before it at their new versions.
   * The new version pins those new versions and `from`'s pins for every other table, so readers of
   * `from` see what they saw. The working tables rewritten are restored to the Delta version they
   * had, so a build whose later stages are still to run finds its own gold (a refresh can run
   * between two of its stages: the tenant's lock is held per stage). A RESTORE that fails is tried
   * once more; the tables still not restored are returned (added to the message when a statement
   * failed). They cannot reach a build's version, which pins the Delta versions its stages wrote
   * (`prepare`'s `built`), and the next build rewrites them.
   */
  async derive(target: Target, layout: NamespaceLayout, from: number, version: number, statements: readonly string[]): Promise<DerivedVersion> {
    const rewrites = statements.map((sql) => wholeTableRewrite(sql, layout));
    await this.assertNewer(target, layout, version);
    const source = await this.pinsOf(target, layout, from).catch((error: unknown) => {
      if (error instanceof WarehouseError && error.code === 'WAREHOUSE_NOT_PUBLISHED') {
        throw new WarehouseError('WAREHOUSE_VERSION_INVALID', `Version ${from} of ${layout.namespace} is not available to derive from.`, { cause: error });
      }
      throw error;
    });
    const gold = layout.qualified('gold');
    const working = new Set(await this.listTables(target, layout, 'gold'));
    const pins = new Map(source.tables);
    const restore = new Map<string, number>();
    let failure: unknown;
    try {
      for (const rewrite of rewrites) {
        if (working.has(rewrite.table) && !restore.has(rewrite.table)) restore.set(rewrite.table, await this.headVersion(target, gold, rewrite.table));
        await this.runner.execute(target, rewrite.head + pinPublishedTables(rewrite.body, layout.schemaFor('gold'), pins, from));
        pins.set(rewrite.table, await this.headVersion(target, gold, rewrite.table));
      }
    } catch (error) {
      failure = error;
    }
    const unrestored = await this.restoreWorking(target, gold, restore);
    // A statement's own failure is the one to report; tables left unrestored are added to it.
    if (failure !== undefined) throw withUnrestored(failure, unrestored);
    await this.stage(target, layout, version, pins);
    return { unrestored };
  }

  /** Puts each working table back to its Delta version, each tried twice (a dropped connection, a throttled call, a concurrent commit). */
  private async restoreWorking(target: Target, gold: string, restore: ReadonlyMap<string, number>): Promise<UnrestoredTable[]> {
    const unrestored: UnrestoredTable[] = [];
    for (const [table, pre] of restore) {
      const sql = `RESTORE TABLE ${gold}.${quoteTable(table)} TO VERSION AS OF ${pre}`;
      try {
        await this.runner.execute(target, sql).catch(() => this.runner.execute(target, sql));
      } catch (error) {
        unrestored.push({ table, version: pre, error: error instanceof Error ? error.message : String(error) });
      }
    }
    return unrestored;
  }

  async current(target: Target, layout: NamespaceLayout): Promise<number | null> {
    if (!(await this.hasRegistry(target, layout))) return null;
    return this.latest(target, `${layout.qualified('gold')}.${PUBLISHED_TABLE}`);
  }

  /** `sql` (already checked read-only) with every gold table pinned to the published version asked for (the latest when unset). */
  async pinnedSql(target: Target, layout: NamespaceLayout, sql: string, version: number | undefined): Promise<string> {
    assertOwnNamespace(sql, layout.scope);
    const pinned = await this.pinsOf(target, layout, version);
    return pinPublishedTables(sql, layout.schemaFor('gold'), pinned.tables, pinned.version);
  }

  forget(namespace: string): void {
    this.registries.delete(namespace);
    this.preparedTables.delete(namespace);
    for (const key of [...this.pins.keys()]) if (key.startsWith(`${namespace}:`)) this.pins.delete(key);
  }

  /** The registry, created if need be, once `version` is known to be newer than the published one. */
  private async assertNewer(target: Target, layout: NamespaceLayout, version: number): Promise<string> {
    if (!Number.isSafeInteger(version) || version < 1) {
      throw new WarehouseError('WAREHOUSE_VERSION_INVALID', `A published version is a positive integer, not ${version}.`);
    }
    const registry = `${layout.qualified('gold')}.${PUBLISHED_TABLE}`;
    if (!this.registries.has(layout.namespace)) {
      await this.runner.execute(target, `CREATE TABLE IF NOT EXISTS ${registry} (version INT, table_name STRING, delta_version BIGINT, published_at TIMESTAMP)`);
      this.registries.add(layout.namespace);
    }
    const last = await this.latest(target, registry);
    if (last !== null && version <= last) {
      throw new WarehouseError('WAREHOUSE_VERSION_INVALID', `Version ${version} is not newer than the published version ${last}.`);
    }
    return registry;
  }

  /** The current Delta version of every gold table of ours to pin. */
  private async goldPins(target: Target, layout: NamespaceLayout): Promise<Map<string, number>> {
    const gold = layout.qualified('gold');
    const tables = new Map<string, number>();
    for (const table of await this.listTables(target, layout, 'gold')) {
      if (!table.startsWith(INTERNAL_TABLE_PREFIX)) tables.set(table, await this.headVersion(target, gold, table));
    }
    return tables;
  }

  private async headVersion(target: Target, schema: string, table: string, layer: Layer = 'gold'): Promise<number> {
    const history = await this.runner.readAll(target, `DESCRIBE HISTORY ${schema}.${quoteTable(table)} LIMIT 1`);
    const deltaVersion = history.rows[0]?.version;
    if (deltaVersion === undefined || deltaVersion === null) {
      throw new WarehouseError('WAREHOUSE_QUERY_FAILED', `${layer}.${table} has no Delta history to pin.`);
    }
    return Number(deltaVersion);
  }

  /**
   * Records `version`'s pins as prepared, replacing an earlier preparation of it (an attempt whose
   * Postgres record never committed) and clearing those of versions published since. Versions in
   * between (recorded in Postgres, their publish still to come) keep theirs.
   */
  private async stage(target: Target, layout: NamespaceLayout, version: number, tables: ReadonlyMap<string, number>): Promise<void> {
    const gold = layout.qualified('gold');
    const prepared = `${gold}.${PREPARED_TABLE}`;
    if (!this.preparedTables.has(layout.namespace)) {
      await this.runner.execute(target, `CREATE TABLE IF NOT EXISTS ${prepared} (version INT, table_name STRING, delta_version BIGINT, prepared_at TIMESTAMP)`);
      this.preparedTables.add(layout.namespace);
    }
    this.pins.delete(`${layout.namespace}:${version}`);
    const last = (await this.latest(target, `${gold}.${PUBLISHED_TABLE}`)) ?? 0;
    await this.runner.execute(target, `DELETE FROM ${prepared} WHERE version >= ? OR version <= ?`, [version, last]);
    const entries: Array<[string | null, number | null]> = tables.size > 0 ? [...tables] : [[null, null]];
    await this.runner.execute(
      target,
      `INSERT INTO ${prepared} VALUES ${entries.map(() => '(?, ?, ?, now())').join(', ')}`,
      entries.flatMap(([table, pinned]) => [version, table, pinned]),
    );
  }

  /** A version's prepared pins, if it was prepared; never remembered, as preparing again replaces them. */
  private async preparedPins(target: Target, layout: NamespaceLayout, version: number): Promise<PublishedPins | undefined> {
    if (!this.preparedTables.has(layout.namespace)) {
      if (!(await this.listTables(target, layout, 'gold')).includes(PREPARED_TABLE)) return undefined;
      this.preparedTables.add(layout.namespace);
    }
    const result = await this.runner.readAll(target, `SELECT version, table_name, delta_version FROM ${layout.qualified('gold')}.${PREPARED_TABLE} WHERE version = ?`, [version]);
    return result.rows.length === 0 ? undefined : pinsFromRows(result.rows);
  }

  private async hasRegistry(target: Target, layout: NamespaceLayout): Promise<boolean> {
    if (this.registries.has(layout.namespace)) return true;
    const exists = (await this.listTables(target, layout, 'gold')).includes(PUBLISHED_TABLE);
    if (exists) this.registries.add(layout.namespace);
    return exists;
  }

  private async latest(target: Target, registry: string): Promise<number | null> {
    const result = await this.runner.readAll(target, `SELECT max(version) AS v FROM ${registry}`);
    const value = result.rows[0]?.v;
    return value === null || value === undefined ? null : Number(value);
  }

  private async pinsOf(target: Target, layout: NamespaceLayout, version: number | undefined): Promise<PublishedPins> {
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
        ? await this.runner.readAll(target, `SELECT version, table_name, delta_version FROM ${registry} WHERE version = (SELECT max(version) FROM ${registry})`)
        : await this.runner.readAll(target, `SELECT version, table_name, delta_version FROM ${registry} WHERE version = ?`, [version]);
    if (result.rows.length === 0) {
      const prepared = version === undefined ? undefined : await this.preparedPins(target, layout, version);
      if (prepared) return prepared;
      throw new WarehouseError(
        'WAREHOUSE_NOT_PUBLISHED',
        version === undefined ? 'Nothing has been published for this tenant yet.' : `Version ${version} has not been published.`,
      );
    }
    const pinned = pinsFromRows(result.rows);
    this.remember(layout.namespace, pinned);
    return pinned;
  }

  private remember(namespace: string, pinned: PublishedPins): void {
    if (this.pins.size >= 1000) this.pins.delete(this.pins.keys().next().value!);
    this.pins.set(`${namespace}:${pinned.version}`, pinned);
  }
}

/** The derivation's own error, naming the working tables it could not put back. */
function withUnrestored(error: unknown, unrestored: readonly UnrestoredTable[]): unknown {
  if (unrestored.length === 0) return error;
  const left = unrestored.map((u) => `gold.${u.table} (to Delta version ${u.version}: ${u.error})`).join('; ');
  const message = `${error instanceof Error ? error.message : String(error)} The working tables it rewrote could not all be put back: ${left}.`;
  return new WarehouseError(error instanceof WarehouseError ? error.code : 'WAREHOUSE_QUERY_FAILED', message, { cause: error });
}

function pinsFromRows(rows: Row[]): PublishedPins {
  const pinned: PublishedPins = { version: Number(rows[0].version), tables: new Map() };
  for (const row of rows) {
    if (row.table_name !== null && row.table_name !== undefined) pinned.tables.set(textValue(row.table_name, 'table_name'), Number(row.delta_version));
  }
  return pinned;
}

interface TableRewrite {
  table: string;
  /** `CREATE OR REPLACE TABLE <gold>.<t> AS`, as this layout names gold. */
  head: string;
  /** The query after AS, still naming tables as `gold.<t>`. */
  body: string;
}

/**
 * A derivation's statement split where its query starts. Only a whole-table rewrite of a gold
 * table of ours is taken: anything that changes a table in place (INSERT, UPDATE, MERGE) would
 * change the working table, not the version derived from, and a plain CREATE TABLE fails where
 * the working gold already holds the table.
 */
function wholeTableRewrite(sql: string, layout: NamespaceLayout): TableRewrite {
  assertOwnNamespace(sql, layout.scope);
  const tokens = tokenizeSql(sql);
  const sig = tokens.filter(isSignificant);
  const word = (i: number) => (sig[i]?.kind === 'word' ? sig[i].text.toLowerCase() : undefined);
  const target = sig[4] && sig[6] && sig[5]?.text === '.' ? { layer: identifierName(sig[4]), table: identifierName(sig[6]) } : undefined;
  const shaped =
    word(0) === 'create' && word(1) === 'or' && word(2) === 'replace' && word(3) === 'table' && target?.layer === 'gold' && word(7) === 'as' && sig.length > 8;
  if (!shaped || !target || !SAFE_TABLE_NAME.test(target.table) || target.table.startsWith(INTERNAL_TABLE_PREFIX)) {
    throw new WarehouseError(
      'WAREHOUSE_QUERY_FAILED',
      `Refused: a derived version is made of CREATE OR REPLACE TABLE gold.<table> AS <query> statements on tables of the tenant's gold, not ${JSON.stringify(sql.trim().slice(0, 80))}.`,
    );
  }
  const body = sql.slice(sig[7].end);
  const catalogs = new Set(layout.scope.catalogs.map((c) => c.toLowerCase()));
  for (const chain of identifierChains(tokenizeSql(body))) {
    const first = chain.names[0];
    // Only `gold.<t>` is pinned: another layer, or gold named through its catalog, would be read as it is now.
    if (chain.names.length >= 2 && (first === 'bronze' || first === 'silver' || catalogs.has(first))) {
      throw new WarehouseError('WAREHOUSE_QUERY_FAILED', `Refused: a derived version reads only its own gold, named gold.<table>, not ${chain.names.slice(0, 2).join('.')}.`);
    }
  }
  return { table: target.table, head: `CREATE OR REPLACE TABLE ${layout.qualified('gold')}.${target.table} AS`, body };
}
