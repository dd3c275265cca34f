import { createHash } from 'node:crypto';
import type { TenantNamespace, Warehouse } from '@kineo/warehouse';
import { nodesOf } from './compiler/join-planner';
import type { AnalyticsQuery, AnalyticsScope } from './analytics.types';
import { scopePredicate } from './compiler/scope';
import { CUBES, type CubeDef, type SqlContext, type SqlOf } from './model';

const mark = (node: string) => `__node_${node}__`;
const MARKED_COLUMN = /__node_(\w+?)__\.(\w+)/g;

// Values never matter here, only which node.column pairs the member SQL names.
const NO_VALUES: SqlContext = { param: () => '?', asOfKey: () => '0', gold: (table) => `gold.${table}` };

/** Every SQL fragment a cube's members, joins and drill key may render. */
function fragmentsOf(cube: CubeDef): SqlOf[] {
  const nodes = nodesOf(cube);
  const out: SqlOf[] = [cube.userKey, ...(cube.where ? [cube.where] : [])];
  for (const node of Object.values(nodes)) if ('on' in node) out.push(node.on);
  for (const measure of Object.values(cube.measures)) {
    out.push(measure.sql, ...(measure.rows ? [measure.rows] : []), ...Object.values(measure.rollup?.parts ?? {}));
  }
  for (const dimension of Object.values(cube.dimensions)) out.push(dimension.sql);
  return out;
}

/**
 * The gold columns a cube can read, by gold table: every `node.column` its member SQL names, each
 * node resolved to its table, and what each subquery node (a per-learner total) declares it reads.
 * Derived from the model, so a new column a cube reads is known to the release without a list to keep.
 */
export function goldColumnsOfCube(cube: CubeDef): Map<string, Set<string>> {
  const nodes = nodesOf(cube);
  const marked = new Proxy({}, { get: (_t, name) => mark(String(name)) }) as Record<string, string>;
  const tableOf = (node: string): string | null => {
    if (node === 'f') return cube.table;
    const def = nodes[node];
    if (!def) throw new Error(`The ${cube.name} cube reads a join node '${node}' it does not have.`);
    if ('self' in def) return cube.table;
    return typeof def.table === 'string' ? def.table : null;
  };
  const columns = new Map<string, Set<string>>();
  const add = (table: string, column: string) => {
    if (!columns.has(table)) columns.set(table, new Set());
    columns.get(table)!.add(column);
  };
  for (const sql of fragmentsOf(cube)) {
    for (const [, node, column] of sql(marked, NO_VALUES).matchAll(MARKED_COLUMN)) {
      const table = tableOf(node);
      if (table) add(table, column);
    }
  }
  for (const column of cube.drill.key) add(cube.table, column);
  for (const [name, node] of Object.entries(nodes)) {
    if (!('reads' in node)) continue;
    const named = new Set<string>();
    node.table({ ...NO_VALUES, gold: (table) => (named.add(table), `gold.${table}`) });
    for (const table of named) {
      if (!node.reads[table]) throw new Error(`The ${cube.name} cube's '${name}' subquery reads gold.${table} but does not say which of its columns (reads).`);
    }
    for (const [table, read] of Object.entries(node.reads)) for (const column of read) add(table, column);
  }
  return columns;
}

/**
 * The gold columns a scope's predicate reads (a manager's reports in dim_manager_relationship, a
 * viewer's organisation subtrees), by table. Its SQL names each gold table with an alias
 * (`gold.dim_user su`) and each column through one (`su.user_key`), which is what is followed here.
 */
export function goldColumnsOfScope(kind: Exclude<AnalyticsScope['kind'], 'tenant'>): Map<string, Set<string>> {
  const scope: AnalyticsScope = kind === 'manager' ? { kind, managerUserId: 0, reach: 'all' } : { kind, organisationIds: [0] };
  const sql = scopePredicate(scope, 'f.user_key', NO_VALUES) ?? '';
  const aliases = new Map([...sql.matchAll(/\bgold\.(\w+)\s+(\w+)/g)].map(([, table, alias]) => [alias, table]));
  const columns = new Map<string, Set<string>>();
  for (const [, alias, column] of sql.matchAll(/\b(\w+)\.(\w+)\b/g)) {
    const table = aliases.get(alias);
    if (!table) continue;
    if (!columns.has(table)) columns.set(table, new Set());
    columns.get(table)!.add(column);
  }
  return columns;
}

const SCOPE_KINDS = ['manager', 'viewer'] as const;

const byCube = new Map<string, Map<string, Set<string>>>();

function cached(cube: CubeDef): Map<string, Set<string>> {
  let columns = byCube.get(cube.name);
  if (!columns) byCube.set(cube.name, (columns = goldColumnsOfCube(cube)));
  return columns;
}

/**
 * What this release's model reads of gold, every cube together and the scopes a query may carry
 * (every one by default: the release serves them all): table → sorted columns.
 */
export function goldColumnsRead(
  cubes: Iterable<CubeDef> = CUBES.values(),
  scopes: readonly Exclude<AnalyticsScope['kind'], 'tenant'>[] = SCOPE_KINDS,
): Map<string, string[]> {
  const all = new Map<string, Set<string>>();
  for (const read of [...[...cubes].map(cached), ...scopes.map(goldColumnsOfScope)]) {
    for (const [table, columns] of read) {
      if (!all.has(table)) all.set(table, new Set());
      for (const column of columns) all.get(table)!.add(column);
    }
  }
  return new Map([...all.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([table, columns]) => [table, [...columns].sort()]));
}

/** A short name of what this release reads of gold: a version rebuilt for it is rebuilt once. */
export function goldColumnsKey(): string {
  const text = [...goldColumnsRead()].map(([table, columns]) => `${table}:${columns.join(',')}`).join(';');
  return createHash('sha256').update(text).digest('hex').slice(0, 12);
}

/** The gold columns a query's cubes read (every cube a member it names belongs to), and its scope's. */
export function goldColumnsOfQuery(query: AnalyticsQuery, scope: AnalyticsScope = { kind: 'tenant' }): Map<string, string[]> {
  const members = [
    ...query.measures,
    ...(query.dimensions ?? []),
    ...(query.filters ?? []).map((f) => f.member),
    ...(query.timeDimension ? [query.timeDimension.dimension] : []),
  ];
  const names = new Set(members.map((member) => member.split('.')[0]));
  const cubes = [...names].map((name) => CUBES.get(name)).filter((cube): cube is CubeDef => cube !== undefined);
  return goldColumnsRead(cubes, scope.kind === 'tenant' ? [] : [scope.kind]);
}

/** A published version's gold: table → its columns (lower case); a table it lacks is absent. */
export type PublishedGoldColumns = Map<string, Set<string>>;

/**
 * The columns of `tables` in a published version, read as the empty result of `select *` so it
 * costs no scan and reads the same on DuckDB and Databricks (pinned Delta versions included).
 */
export async function publishedGoldColumns(
  warehouse: Pick<Warehouse, 'queryPublished'>,
  tenant: TenantNamespace,
  version: number,
  tables: Iterable<string> = goldColumnsRead().keys(),
): Promise<PublishedGoldColumns> {
  const out: PublishedGoldColumns = new Map();
  for (const table of tables) {
    if (!/^[a-z_][a-z0-9_]*$/.test(table)) throw new Error(`Not a gold table name: '${table}'.`);
    try {
      const result = await warehouse.queryPublished(tenant, `select * from gold.${table} limit 0`, [], { version });
      out.set(table, new Set(result.columns.map((c) => c.name.toLowerCase())));
    } catch (error) {
      // A table an older release never built is what this reports; any other failure is the reader's.
      if (new RegExp(`\\b${table}\\b`, 'i').test(error instanceof Error ? error.message : String(error))) continue;
      throw error;
    }
  }
  return out;
}

/** What a version's gold columns are recorded as (libs/db's published_rollups.gold_columns): every table read, null where it has none. */
export function goldColumnsRecord(published: PublishedGoldColumns, tables: Iterable<string> = goldColumnsRead().keys()): Record<string, string[] | null> {
  return Object.fromEntries([...tables].map((table) => [table, published.has(table) ? [...published.get(table)!].sort() : null]));
}

/**
 * A version's gold columns from its record, when the record names every one of `tables` (a table it
 * does not name was never read: a release reading a new table reads the version once); else undefined.
 */
export function recordedGoldColumns(
  record: Readonly<Record<string, readonly string[] | null>> | null | undefined,
  tables: Iterable<string> = goldColumnsRead().keys(),
): PublishedGoldColumns | undefined {
  if (!record) return undefined;
  const out: PublishedGoldColumns = new Map();
  for (const table of tables) {
    if (!Object.prototype.hasOwnProperty.call(record, table)) return undefined;
    const columns = record[table];
    if (columns) out.set(table, new Set(columns));
  }
  return out;
}

/** `table.column` for each column `required` names that `published` lacks (a missing table: every column of it). */
export function missingGoldColumns(required: ReadonlyMap<string, readonly string[]>, published: PublishedGoldColumns): string[] {
  const missing: string[] = [];
  for (const [table, columns] of required) {
    const have = published.get(table);
    for (const column of columns) if (!have?.has(column)) missing.push(`${table}.${column}`);
  }
  return missing;
}
