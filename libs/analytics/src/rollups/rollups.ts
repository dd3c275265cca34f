import { createHash } from 'node:crypto';
import type { Dialect, TenantNamespace, Warehouse } from '@kineo/warehouse';
import type { CubeDef, MeasureRollup, RollupDef, SqlOf } from '../model';
import { CUBES } from '../model';
import { JoinPlanner } from '../compiler/join-planner';
import { resolveDimension, resolveMeasure, type ResolvedDimension } from '../compiler/resolve';
import { compileEnv, fragment, type CompileEnv } from '../compiler/sql-context';

/** One aggregate a rollup keeps for one of its measures. */
export interface RollupPart {
  measure: string;
  part: string;
  column: string;
  sql: SqlOf;
}

/** A rollup checked against the model, with the columns of its table. */
export interface ResolvedRollup {
  /** 'CourseProgress.byOrganisation'. */
  id: string;
  cube: CubeDef;
  def: RollupDef;
  /** gold.<table>. */
  table: string;
  /** Measure member -> how it is kept. */
  measures: Map<string, MeasureRollup>;
  /** Dimension member -> its column. */
  dimensions: Map<string, { dimension: ResolvedDimension; column: string }>;
  time?: { dimension: ResolvedDimension; granularity: 'day' | 'month'; column: string };
  parts: RollupPart[];
}

/** The column holding a rollup's date key (the day's, or the first of the month's; -1 unknown). */
export const TIME_COLUMN = 'time_key';

/** The table every build writes last: which rollups this published version holds, built at which as_of. */
export const ROLLUP_MANIFEST_TABLE = 'rollup_manifest';

const snake = (name: string) => name.replace(/[A-Z]/g, (ch) => `_${ch.toLowerCase()}`).replace(/^_/, '');
const columnOf = (member: string) => member.split('.').map(snake).join('__');

const invalidModel = (id: string, message: string) => new Error(`Rollup ${id}: ${message}`);

function resolveRollup(cube: CubeDef, def: RollupDef): ResolvedRollup {
  const id = `${cube.name}.${def.name}`;
  if (!/^[a-z][A-Za-z0-9]*$/.test(def.name)) throw invalidModel(id, 'a rollup name is a camelCase word.');
  const measures = new Map<string, MeasureRollup>();
  const parts: RollupPart[] = [];
  for (const name of def.measures) {
    const member = `${cube.name}.${name}`;
    const rollup = resolveMeasure(member, `rollup ${id}`).def.rollup;
    if (!rollup) throw invalidModel(id, `${member} cannot be kept in a rollup (it has no additive parts).`);
    measures.set(member, rollup);
    for (const [part, sql] of Object.entries(rollup.parts)) parts.push({ measure: member, part, column: `m__${snake(name)}__${part}`, sql });
  }
  const dimensions = new Map<string, { dimension: ResolvedDimension; column: string }>();
  for (const member of def.dimensions) {
    const dimension = resolveDimension(member, `rollup ${id}`);
    const owner = member.slice(0, member.indexOf('.'));
    if (owner !== cube.name && !cube.joins.includes(owner)) throw invalidModel(id, `${member} is not a dimension a ${cube.name} query can use.`);
    if (dimension.def.type === 'time') throw invalidModel(id, `${member} is a date: a rollup keeps a date as its timeDimension.`);
    dimensions.set(member, { dimension, column: `d__${columnOf(member)}` });
  }
  let time: ResolvedRollup['time'];
  if (def.timeDimension) {
    const dimension = resolveDimension(def.timeDimension.dimension, `rollup ${id} timeDimension`);
    if (dimension.def.type !== 'time') throw invalidModel(id, `${def.timeDimension.dimension} is not a date.`);
    time = { dimension, granularity: def.timeDimension.granularity, column: TIME_COLUMN };
  }
  return { id, cube, def, table: `rollup_${snake(cube.name)}_${snake(def.name)}`, measures, dimensions, time, parts };
}

let resolved: ResolvedRollup[] | undefined;

/** Every rollup the model declares, in declaration order; a model mistake throws naming the rollup. */
export function allRollups(): ResolvedRollup[] {
  if (!resolved) {
    const out: ResolvedRollup[] = [];
    for (const cube of CUBES.values()) for (const def of cube.rollups ?? []) out.push(resolveRollup(cube, def));
    const ids = out.map((r) => r.id);
    const twice = ids.find((id, i) => ids.indexOf(id) !== i);
    if (twice) throw invalidModel(twice, 'declared twice.');
    resolved = out;
  }
  return resolved;
}

export function rollupsOf(cube: CubeDef): ResolvedRollup[] {
  return allRollups().filter((r) => r.cube === cube);
}

/** A date key truncated to the first of its month (-1, the unknown date, stays -1). */
const monthKey = (key: string) => `case when ${key} = -1 then -1 else ${key} - ${key} % 100 + 1 end`;

/**
 * The rollup's rows from the cube's: `select ... group by` over the cube's rows (its own `where`, no
 * scope), grouped by the rollup's dimensions and date, each measure's parts aggregated. Everything
 * inline (the only values are the build's as_of keys, which the model computes) but `onDays`: given,
 * only the rows whose date (the rollup's date key) it accepts, a predicate whose values the caller binds.
 */
export function rollupRowsStatement(rollup: ResolvedRollup, dialect: Dialect, env: CompileEnv, onDays?: (dateKey: string) => string, only?: RollupColumns): string {
  const inlineEnv: CompileEnv = { ...env, inline: dialect };
  const planner = new JoinPlanner(rollup.cube, inlineEnv);
  const groups: string[] = [];
  const { dimensions, parts } = only ?? { dimensions: [...rollup.dimensions.values()], parts: rollup.parts };
  const select = fragment(inlineEnv, (c) => {
    const columns: string[] = [];
    for (const { dimension, column } of dimensions) {
      const sql = planner.render(dimension.def.sql, c);
      groups.push(sql);
      columns.push(`${sql} as ${column}`);
    }
    if (rollup.time) {
      const key = planner.render(rollup.time.dimension.def.sql, c);
      const sql = rollup.time.granularity === 'month' ? monthKey(key) : key;
      groups.push(sql);
      columns.push(`${sql} as ${rollup.time.column}`);
    }
    for (const part of parts) columns.push(`${planner.render(part.sql, c)} as ${part.column}`);
    return `select ${columns.join(', ')}`;
  });
  const where = fragment(inlineEnv, (c) => {
    const conditions = rollup.cube.where ? [planner.render(rollup.cube.where, c)] : [];
    if (onDays && rollup.time) conditions.push(`(${onDays(planner.render(rollup.time.dimension.def.sql, c))})`);
    return conditions.length ? `where ${conditions.join(' and ')}` : '';
  });
  const from = planner.from();
  return [select.sql, from.sql, where.sql, groups.length ? `group by ${groups.join(', ')}` : ''].filter(Boolean).join(' ');
}

/** Some of a rollup's columns, in the table's order (its date, when it keeps one, always). */
export interface RollupColumns {
  dimensions: { dimension: ResolvedDimension; column: string }[];
  parts: RollupPart[];
}

/** The columns of a rollup a query reads: those of the dimensions and measures named, in the table's order. */
export function rollupColumns(rollup: ResolvedRollup, dimensions: ReadonlySet<string>, measures: ReadonlySet<string>): RollupColumns {
  return {
    dimensions: [...rollup.dimensions.entries()].filter(([member]) => dimensions.has(member)).map(([, kept]) => kept),
    parts: rollup.parts.filter((p) => measures.has(p.measure)),
  };
}

/** The rollup's `create or replace table ... as select` of its rows. */
function buildStatement(rollup: ResolvedRollup, dialect: Dialect, env: CompileEnv): string {
  return `create or replace table ${env.gold(rollup.table)} as ${rollupRowsStatement(rollup, dialect, env)}`;
}

/** The gold tables a rollup reads (what its build waits for). */
function sourcesOf(sql: string): string[] {
  return [...new Set([...sql.matchAll(/\bgold\.([a-z_]+)/g)].map((m) => `gold.${m[1]}`))];
}

const SIGNATURE_AS_OF = '2000-01-01';
const signatures = new Map<string, { signature: string; asOfBound: boolean }>();

/**
 * What a rollup table holds, as a hash of its build statement in this dialect (at a fixed as_of): a
 * table built from another definition (an older release) is never read as this one. `asOfBound`:
 * its figures are as at the build's as_of (overdue by then, expiring within N days of it).
 */
export function rollupSignature(rollup: ResolvedRollup, dialect: Dialect): { signature: string; asOfBound: boolean } {
  const key = `${dialect.engine}:${rollup.id}`;
  let known = signatures.get(key);
  if (!known) {
    let asOfBound = false;
    const env = { ...compileEnv({ asOf: SIGNATURE_AS_OF }), onAsOf: () => (asOfBound = true) };
    const sql = buildStatement(rollup, dialect, env);
    known = { signature: createHash('sha256').update(sql).digest('hex').slice(0, 16), asOfBound };
    signatures.set(key, known);
  }
  return known;
}

/**
 * The model's rollups a published version does not hold as this release defines them (absent, or
 * built from another definition): queries they would answer read the facts until the tenant is rebuilt.
 */
export function staleRollups(published: readonly RollupManifestEntry[], dialect: Dialect): string[] {
  return allRollups()
    .filter((rollup) => {
      const entry = published.find((e) => e.rollup === rollup.id);
      return !entry || entry.table !== rollup.table || entry.signature !== rollupSignature(rollup, dialect).signature;
    })
    .map((rollup) => rollup.id);
}

/** A table the build writes, in the shape the pipeline's models take (`@kineo/pipeline` Model). */
export interface RollupModel {
  name: string;
  depends: string[];
  kind: 'table';
  stage: string;
  sql: string;
  source: string;
}

/** Rollups are built with the fiscal-year history facts, the last stage before publish, so a version never has gold without them. */
export const ROLLUP_STAGE = 'snapshots';

/**
 * The build statements of every rollup and of the manifest that lists them, for a build at `asOf`
 * (ISO). The pipeline runs them inside the tenant's build, so they are published with its gold.
 */
export function rollupModels(dialect: Dialect, asOf: string | Date): RollupModel[] {
  const env = compileEnv({ asOf: typeof asOf === 'string' ? asOf : asOf.toISOString() });
  const asOfKey = Number(env.asOf.toISOString().slice(0, 10).replace(/-/g, ''));
  const models: RollupModel[] = allRollups().map((rollup) => {
    const sql = buildStatement(rollup, dialect, env);
    return { name: `gold.${rollup.table}`, depends: sourcesOf(sql).filter((t) => t !== `gold.${rollup.table}`), kind: 'table', stage: ROLLUP_STAGE, sql, source: `rollup ${rollup.id}` };
  });
  const rows = allRollups().map((rollup) => {
    const { signature } = rollupSignature(rollup, dialect);
    const text = (v: string) => dialect.literal(v);
    return (
      `select ${text(rollup.id)} as rollup_name, ${text(rollup.table)} as table_name, ${text(signature)} as signature, ` +
      `${asOfKey} as as_of_key, (select count(*) from gold.${rollup.table}) as row_count`
    );
  });
  const manifest = `create or replace table gold.${ROLLUP_MANIFEST_TABLE} as ${rows.join(' union all ')}`;
  models.push({ name: `gold.${ROLLUP_MANIFEST_TABLE}`, depends: models.map((m) => m.name), kind: 'table', stage: ROLLUP_STAGE, sql: manifest, source: 'rollup manifest' });
  return models;
}

/**
 * What a rollups-only refresh runs on a copy of a published version's gold: the build statements
 * of the rollups named (stale ones; their gold sources are already there) and of the manifest, as
 * `rollupModels` writes them at `asOf` (the version's own as_of, so the refreshed tables agree with
 * the gold they summarise). The manifest lists every rollup, so the refreshed version is current.
 */
export function rollupRefreshStatements(dialect: Dialect, asOf: string | Date, rollupIds: readonly string[]): string[] {
  const unknown = rollupIds.filter((id) => !allRollups().some((r) => r.id === id));
  if (unknown.length > 0) throw new Error(`Unknown rollup ${unknown.join(', ')}: the model declares ${allRollups().map((r) => r.id).join(', ')}.`);
  const tables = new Set(allRollups().filter((r) => rollupIds.includes(r.id)).map((r) => `gold.${r.table}`));
  return rollupModels(dialect, asOf)
    .filter((m) => tables.has(m.name) || m.name === `gold.${ROLLUP_MANIFEST_TABLE}`)
    .map((m) => m.sql);
}

/** A rollup a published version holds (a row of its gold.rollup_manifest). */
export interface RollupManifestEntry {
  rollup: string;
  table: string;
  signature: string;
  /** The build's as_of as a date key (yyyymmdd). */
  asOfKey: number;
  rows: number;
}

/** Reads a published version's rollups; a version built before rollups has no manifest, which means none. */
export const ROLLUP_MANIFEST_QUERY = `select rollup_name, table_name, signature, as_of_key, row_count from gold.${ROLLUP_MANIFEST_TABLE}`;

export function parseRollupManifest(rows: Record<string, unknown>[]): RollupManifestEntry[] {
  return rows.map((r) => ({
    rollup: String(r.rollup_name),
    table: String(r.table_name),
    signature: String(r.signature),
    asOfKey: Number(r.as_of_key),
    rows: Number(r.row_count),
  }));
}

/** A short name of this release's rollups (each one's id and signature): what a version current with them was refreshed for. */
export function rollupModelKey(dialect: Dialect): string {
  const text = allRollups().map((r) => `${r.id}:${r.table}:${rollupSignature(r, dialect).signature}`).join(',');
  return createHash('sha256').update(text).digest('hex').slice(0, 12);
}

/** Where a published version's rollups stand against this release's model. */
export interface PublishedRollups {
  version: number;
  manifest: RollupManifestEntry[];
  /** The model's rollups the version does not hold as this release defines them. */
  stale: string[];
}

/**
 * Reads a published version's manifest (none before rollups existed: every rollup is stale) and
 * lists what is stale against the model this process runs.
 */
export async function publishedRollups(
  warehouse: Pick<Warehouse, 'queryPublished' | 'dialect'>,
  tenant: TenantNamespace,
  version: number,
): Promise<PublishedRollups> {
  const manifest = await warehouse.queryPublished(tenant, ROLLUP_MANIFEST_QUERY, [], { version }).then(
    (r) => parseRollupManifest(r.rows),
    (error: unknown) => {
      // A version built before rollups has no manifest table; any other failure is the reader's.
      if (/rollup_manifest/i.test(error instanceof Error ? error.message : String(error))) return [];
      throw error;
    },
  );
  return { version, manifest, stale: staleRollups(manifest, warehouse.dialect) };
}
