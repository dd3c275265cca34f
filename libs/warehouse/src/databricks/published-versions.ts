import { WarehouseError } from '../errors';
import { textValue } from '../text-value.util';
import type { Layer } from '../types';
import type { NamespaceLayout } from './namespace-layout.util';
import { assertOwnNamespace, pinPublishedTables } from './sql-text.util';
import type { StatementRunner } from './statement-runner';
import type { Target } from './tenant-sessions';

export const PUBLISHED_TABLE = '_kineo_published';
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
 */

/** The published-version registry: each tenant's gold._kineo_published, and the pins read from it, remembered. */
export class PublishedVersions {
  private readonly pins = new Map<string, PublishedPins>();
  private readonly registries = new Set<string>();

  constructor(
    private readonly runner: StatementRunner,
    private readonly listTables: ListTables,
  ) {}

  async publish(target: Target, layout: NamespaceLayout, version: number): Promise<void> {
    if (!Number.isSafeInteger(version) || version < 1) {
      throw new WarehouseError('WAREHOUSE_VERSION_INVALID', `A published version is a positive integer, not ${version}.`);
    }
    const gold = layout.qualified('gold');
    const registry = `${gold}.${PUBLISHED_TABLE}`;
    await this.runner.execute(target, `CREATE TABLE IF NOT EXISTS ${registry} (version INT, table_name STRING, delta_version BIGINT, published_at TIMESTAMP)`);
    this.registries.add(layout.namespace);
    const last = await this.latest(target, registry);
    if (last !== null && version <= last) {
      throw new WarehouseError('WAREHOUSE_VERSION_INVALID', `Version ${version} is not newer than the published version ${last}.`);
    }
    const tables = new Map<string, number>();
    for (const table of await this.listTables(target, layout, 'gold')) {
      if (table.startsWith(INTERNAL_TABLE_PREFIX)) continue;
      const history = await this.runner.readAll(target, `DESCRIBE HISTORY ${gold}.${quoteTable(table)} LIMIT 1`);
      const deltaVersion = history.rows[0]?.version;
      if (deltaVersion === undefined || deltaVersion === null) {
        throw new WarehouseError('WAREHOUSE_QUERY_FAILED', `gold.${table} has no Delta history to pin.`);
      }
      tables.set(table, Number(deltaVersion));
    }
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
    for (const key of [...this.pins.keys()]) if (key.startsWith(`${namespace}:`)) this.pins.delete(key);
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
      throw new WarehouseError(
        'WAREHOUSE_NOT_PUBLISHED',
        version === undefined ? 'Nothing has been published for this tenant yet.' : `Version ${version} has not been published.`,
      );
    }
    const pinned: PublishedPins = { version: Number(result.rows[0].version), tables: new Map() };
    for (const row of result.rows) {
      if (row.table_name !== null && row.table_name !== undefined) pinned.tables.set(textValue(row.table_name, 'table_name'), Number(row.delta_version));
    }
    this.remember(layout.namespace, pinned);
    return pinned;
  }

  private remember(namespace: string, pinned: PublishedPins): void {
    if (this.pins.size >= 1000) this.pins.delete(this.pins.keys().next().value!);
    this.pins.set(`${namespace}:${pinned.version}`, pinned);
  }
}
