import type { Dialect, SqlParam } from '@kineo/warehouse';
import { AnalyticsQueryError } from '../analytics-query.error';
import type { AnalyticsScope, CompiledColumn, CompiledDrill, CompileOptions, DrillRequest } from '../analytics.types';
import { assemble, whereConditions } from './compile-query';
import { coerce, dimensionValue, grainValue } from './filters';
import { JoinPlanner } from './join-planner';
import { dimensionColumnOf, planQuery, resolveDimension, type QueryPlan } from './resolve';
import { normaliseScope } from './scope';
import { compileEnv, fragment, parseIsoDay, type ParamSink } from './sql-context';

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 5000;

const invalid = (message: string) => new AnalyticsQueryError('INVALID_QUERY', message);

/** Keys travel as JSON; a bigint key (beyond 2^53) keeps its digits. */
type CursorValue = string | number | boolean | { big: string };

export function encodeCursor(values: unknown[]): string {
  const json: CursorValue[] = values.map((v) => (typeof v === 'bigint' ? { big: v.toString() } : (v as CursorValue)));
  return Buffer.from(JSON.stringify(json), 'utf8').toString('base64url');
}

/** What one place of a cursor must hold: text (the order's names, a text key) or a whole number (a numeric key). */
export type CursorKind = 'text' | 'integer';

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * A cursor's values, each checked against the column it is compared with: a forged value the
 * warehouse could not compare (1e308 against a whole-number key, text against a number) is
 * INVALID_CURSOR here, not an error of the warehouse.
 */
export function decodeCursor(cursor: string, kinds: readonly CursorKind[]): SqlParam[] {
  const bad = () => new AnalyticsQueryError('INVALID_CURSOR', 'The drill cursor is not one this list gave out: start again from the first page.');
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw bad();
  }
  if (!Array.isArray(parsed) || parsed.length !== kinds.length) throw bad();
  return parsed.map((v: unknown, i) => {
    if (kinds[i] === 'text') {
      if (typeof v === 'string') return v;
      throw bad();
    }
    if (typeof v === 'number' && Number.isSafeInteger(v)) return v;
    if (v && typeof v === 'object' && 'big' in v && typeof v.big === 'string' && /^-?\d{1,20}$/.test(v.big)) {
      const big = BigInt(v.big);
      if (big >= INT64_MIN && big <= INT64_MAX) return big;
    }
    throw bad();
  });
}

/** The clicked cell as predicates: each of its keys a dimension (or the query's time grain) equal to the cell's value. */
function cellConditions(plan: QueryPlan, cell: DrillRequest['cell'], planner: JoinPlanner, c: ParamSink): string[] {
  if (!cell || typeof cell !== 'object' || Array.isArray(cell)) throw invalid('cell: expected an object of dimension -> value.');
  const n = planner.n;
  return Object.entries(cell).map(([key, value]) => {
    const where = `cell['${key}']`;
    if (value !== null && !['string', 'number', 'boolean'].includes(typeof value)) throw invalid(`${where}: expected a string, number, boolean or null.`);
    if (plan.time?.key === key) {
      const grain = grainValue(plan.time.dimension, plan.time.granularity!, n);
      if (value === null) return `${grain.sql} is null`;
      if (grain.type === 'date') {
        const day = typeof value === 'string' ? parseIsoDay(value) : undefined;
        if (!day) throw invalid(`${where}: ${JSON.stringify(value)} is not an ISO date 'YYYY-MM-DD'.`);
        return `${grain.sql} = cast(${c.param(day.toISOString().slice(0, 10))} as date)`;
      }
      return `${grain.sql} = ${c.param(coerce({ ...plan.time.dimension.def, type: grain.type }, value, where))}`;
    }
    const allowed = [...(plan.query.dimensions ?? []), ...(plan.time?.key ? [plan.time.key] : [])];
    if (!key.includes('.') || !(plan.query.dimensions ?? []).includes(key)) {
      throw invalid(`${where}: ${key} is not a dimension of the query; a cell is keyed by ${allowed.join(', ') || '(the query has no dimensions: drill with an empty cell)'}.`);
    }
    const d = resolveDimension(key, where);
    if (d.def.type === 'time') {
      const dateKey = d.def.sql(n, c);
      return value === null ? `${dateKey} = -1` : `${dateKey} = ${c.param(coerce(d.def, value, where))}`;
    }
    const expr = dimensionValue(d, n, c);
    return value === null ? `${expr} is null` : `${expr} = ${c.param(coerce(d.def, value, where))}`;
  });
}

/**
 * The learners and items behind one cell of a query: the same rows, scope and filters, narrowed
 * to the cell (and to the rows of one measure when asked), in pages along the cube's declared order
 * (the learner's name) and then its unique key, so every page of a list follows the same total order.
 */
export function compileDrill(req: DrillRequest, scope: AnalyticsScope, dialect: Dialect, options: CompileOptions): CompiledDrill {
  if (!req || typeof req !== 'object') throw invalid('A drill request needs a query and a cell.');
  const plan = planQuery(req.query);
  const env = compileEnv(options);
  normaliseScope(scope);
  const pageSize = req.pageSize ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
    throw invalid(`pageSize: expected a whole number from 1 to ${MAX_PAGE_SIZE}, got ${JSON.stringify(req.pageSize)}.`);
  }
  let rows = undefined as undefined | ((typeof plan.measures)[number]);
  if (req.measure !== undefined) {
    rows = plan.measures.find((m) => m.member === req.measure);
    if (!rows) throw invalid(`measure: ${req.measure} is not a measure of the query; it asks for ${plan.measures.map((m) => m.member).join(', ')}.`);
  }

  const planner = new JoinPlanner(plan.cube, env);
  const q = (name: string) => dialect.ident(name);
  // A distinct count of learners lists each learner once (144 learners open 144 rows, not their
  // 2,419 enrolments): the learner's own columns, keyed by the learner.
  const perLearner = rows?.def.drillsLearners === true;
  const drillMembers = perLearner ? plan.cube.drill.columns.filter((member) => member.startsWith('Learner.')) : plan.cube.drill.columns;
  const drillKey = perLearner ? ['user_key'] : plan.cube.drill.key;
  const drillColumns = drillMembers.map((member) => resolveDimension(member, `drill columns of ${plan.cube.name}`));
  const keyNames = drillKey.map((_, i) => `_k${i}`);
  const columns: CompiledColumn[] = drillColumns.map(dimensionColumnOf);
  // A measure whose rows each hold part of it (a learner's overdue items) lists that part too.
  const valued = rows?.def.drillValue ? rows : undefined;
  if (valued) columns.push({ key: valued.member, member: valued.member, title: valued.def.title, type: 'number', format: valued.def.format });

  const orderDims = plan.cube.drill.order.map((member) => {
    const d = resolveDimension(member, `drill order of ${plan.cube.name}`);
    if (d.def.type !== 'string') throw invalid(`drill order of ${plan.cube.name}: ${member} is not a text member.`);
    return d;
  });
  // The list's order: the declared members (nulls as '', so the comparison below is total), then the key.
  const orderNames = orderDims.map((_, i) => `_o${i}`);
  const orderValues = (c: ParamSink) => orderDims.map((d) => `coalesce(${dimensionValue(d, planner.n, c)}, '')`);

  let keys: string[] = [];
  const select = fragment(env, (c) => {
    keys = drillKey.map((k) => `${planner.n.f}.${k}`);
    const values = drillColumns.map((d) => `${dimensionValue(d, planner.n, c)} as ${q(d.member)}`);
    if (valued) values.push(`${planner.render(valued.def.drillValue!, c)} as ${q(valued.member)}`);
    const ordered = orderValues(c).map((v, i) => `${v} as ${q(orderNames[i])}`);
    return `select ${perLearner ? 'distinct ' : ''}${[...values, ...ordered, ...keys.map((k, i) => `${k} as ${q(keyNames[i])}`)].join(', ')}`;
  });
  const where = fragment(env, (c) => {
    const conditions = [...whereConditions(plan, scope, planner, c), ...cellConditions(plan, req.cell, planner, c).map((p) => `(${p})`)];
    if (rows?.def.rows) conditions.push(`(${planner.render(rows.def.rows, c)})`);
    // As the distinct count: the unknown learner (-1) is not one.
    if (perLearner) conditions.push(`${planner.n.f}.user_key <> -1`);
    if (req.after !== undefined) {
      const columns = [...orderValues(c), ...keys];
      const textKeys = perLearner ? [] : (plan.cube.drill.textKeys ?? []);
      const after = decodeCursor(req.after, [...orderDims.map((): CursorKind => 'text'), ...drillKey.map((k): CursorKind => (textKeys.includes(k) ? 'text' : 'integer'))]);
      // (o0, ..., k0, ...) > (v0, ...) spelled out: row-value comparison is not portable.
      const branches = columns.map((k, i) => [...columns.slice(0, i).map((prev, j) => `${prev} = ${c.param(after[j])}`), `${k} > ${c.param(after[i])}`].join(' and '));
      conditions.push(`(${branches.map((b) => `(${b})`).join(' or ')})`);
    }
    return conditions.length ? `where ${conditions.join(' and ')}` : '';
  });
  const from = planner.from();
  const order = { sql: `order by ${[...orderNames.map((o) => `${q(o)} asc`), ...keys.map((k) => `${k} asc`)].join(', ')}`, params: [] };
  const limit = { sql: `limit ${pageSize}`, params: [] };

  // Counted over the very rows the pages list (same select, so a distinct list counts distinct rows).
  const listed = assemble([select, from, where]);
  const count = req.after === undefined ? { sql: `select count(*) as ${q('rows')} from (${listed.sql}) as ${q('_list')}`, params: listed.params } : undefined;

  return {
    ...assemble([select, from, where, order, limit]),
    columns,
    pageSize,
    ...(count ? { count } : {}),
    cursorOf: (row) => encodeCursor([...orderNames, ...keyNames].map((k) => row[k])),
  };
}
