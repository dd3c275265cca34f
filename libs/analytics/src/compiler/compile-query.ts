import type { Dialect, SqlParam } from '@kineo/warehouse';
import { GRANULARITY_TITLES, type AnalyticsQuery, type AnalyticsScope, type CompiledColumn, type CompiledQuery, type CompileOptions } from '../analytics.types';
import { dimensionPredicate, dimensionValue, grainValue, measurePredicate } from './filters';
import { JoinPlanner } from './join-planner';
import { dimensionColumnOf, planQuery, type QueryPlan } from './resolve';
import { normaliseScope, scopePredicate } from './scope';
import { chooseRollup, compileRollupPlan } from './compile-rollup';
import { compileEnv, fragment, type CompileEnv, type Fragment, type ParamSink } from './sql-context';

const titleOf = (member: string, def: { title: string }) => `${def.title}`.trim() || member;

/** The predicates every statement over the plan's rows carries: the cube's own, the caller's scope, the query's filters and dates. */
export function whereConditions(plan: QueryPlan, scope: AnalyticsScope, planner: JoinPlanner, c: ParamSink): string[] {
  const n = planner.n;
  const conditions: string[] = [];
  if (plan.cube.where) conditions.push(planner.render(plan.cube.where, c));
  const scoped = scopePredicate(scope, plan.cube.userKey(n, c), c);
  if (scoped) conditions.push(scoped);
  plan.filters.forEach((f, i) => {
    if (f.dimension) conditions.push(dimensionPredicate(f, i, n, c));
  });
  if (plan.time) {
    const key = plan.time.dimension.def.sql(n, c);
    // The time axis never has an "unknown date" bucket: a row without the date is not on it.
    if (plan.time.granularity) conditions.push(`${key} <> -1`);
    if (plan.time.dateRange) {
      const [from, to] = plan.time.dateRange;
      conditions.push(`${key} between ${c.param(toKey(from))} and ${c.param(toKey(to))}`);
    }
    if (plan.time.fiscalYear !== undefined) {
      const day = grainValue(plan.time.dimension, 'fiscalYear', n).sql;
      conditions.push(`${day} = ${c.param(plan.time.fiscalYear)}`);
    }
  }
  return conditions.map((p) => `(${p})`);
}

const toKey = (d: Date) => d.getUTCFullYear() * 10000 + (d.getUTCMonth() + 1) * 100 + d.getUTCDate();

/** Selected dimension values (query dimensions, then the time grain), with their column metadata. */
export function dimensionColumns(plan: QueryPlan, planner: JoinPlanner, c: ParamSink): { sql: string; column: CompiledColumn }[] {
  const out = plan.dimensions.map((d): { sql: string; column: CompiledColumn } => ({
    sql: dimensionValue(d, planner.n, c),
    column: dimensionColumnOf(d),
  }));
  if (plan.time?.granularity) {
    const grain = grainValue(plan.time.dimension, plan.time.granularity, planner.n);
    out.push({
      sql: grain.sql,
      column: { key: plan.time.key!, member: plan.time.dimension.member, title: `${plan.time.dimension.def.title} (${GRANULARITY_TITLES[plan.time.granularity]})`, type: grain.type },
    });
  }
  return out;
}

export function assemble(parts: Fragment[]): { sql: string; params: SqlParam[] } {
  const present = parts.filter((p) => p.sql !== '');
  return { sql: present.map((p) => p.sql).join(' '), params: present.flatMap((p) => p.params) };
}

export function compileQuery(query: AnalyticsQuery, scope: AnalyticsScope, dialect: Dialect, options: CompileOptions): CompiledQuery {
  const plan = planQuery(query);
  const env = compileEnv(options);
  const normalised = normaliseScope(scope);
  const span = windowOf(plan, options.noLimit === true);
  const chosen = options.rollups ? chooseRollup(plan, normalised, dialect, env, options.rollups) : undefined;
  const statement = (tailOf: (dimensionKeys: string[]) => Fragment[]): CompiledQuery =>
    chosen ? compileRollupPlan(plan, normalised, dialect, env, chosen.rollup, tailOf) : compilePlan(plan, scope, dialect, env, tailOf);
  const compiled = statement((keys) => tail(plan, keys, dialect, span));
  if (span.probe) compiled.limit = span.limit;
  if (plan.query.total && options.noLimit !== true) {
    // Counted over the same statement without its order and window, so it counts exactly the rows the pages list.
    const whole = statement(() => []);
    compiled.count = { sql: `select count(*) as ${dialect.ident('rows')} from (${whole.sql}) as ${dialect.ident('_answer')}`, params: whole.params };
  }
  return compiled;
}

/** The rows a statement returns: none cut for an export without a limit of its own; otherwise one past the limit (to tell that more exist) after the offset. */
interface Window {
  limit?: number;
  offset: number;
  /** Reads limit + 1 rows, the last of which only says that the answer goes on. */
  probe: boolean;
}

function windowOf(plan: QueryPlan, noLimit: boolean): Window {
  // An export lifts only the default limit: a query that asks for its top N exports those N, as
  // shown, and always from the first row (a file is the whole answer, not a page of it).
  if (noLimit) return { limit: plan.query.limit, offset: 0, probe: false };
  return { limit: plan.limit, offset: plan.query.offset ?? 0, probe: true };
}

/** ORDER BY, LIMIT and OFFSET, the same whichever table answers (validated integers, so inlined as DuckDB and Databricks both require). */
function tail(plan: QueryPlan, dimensionKeys: string[], dialect: Dialect, window: Window): Fragment[] {
  const q = (name: string) => dialect.ident(name);
  const order = orderBy(plan, dimensionKeys);
  const orderSql: Fragment = { sql: order.length ? `order by ${order.map((o) => `${q(o.key)} ${o.direction} nulls last`).join(', ')}` : '', params: [] };
  const rows = window.limit === undefined ? '' : `limit ${window.probe ? window.limit + 1 : window.limit}`;
  const limit: Fragment = { sql: [rows, window.offset > 0 ? `offset ${window.offset}` : ''].filter(Boolean).join(' '), params: [] };
  return [orderSql, limit];
}

function compilePlan(
  plan: QueryPlan,
  scope: AnalyticsScope,
  dialect: Dialect,
  env: CompileEnv,
  tailOf: (dimensionKeys: string[]) => Fragment[],
): CompiledQuery {
  const planner = new JoinPlanner(plan.cube, env);
  const q = (name: string) => dialect.ident(name);
  const dims: { sql: string; column: CompiledColumn }[] = [];
  const columns: CompiledColumn[] = [];

  const select = fragment(env, (c) => {
    dims.push(...dimensionColumns(plan, planner, c));
    const measures = plan.measures.map((m) => {
      const column: CompiledColumn = { key: m.member, member: m.member, title: titleOf(m.member, m.def), type: 'number', format: m.def.format };
      return { sql: planner.render(m.def.sql, c), column };
    });
    columns.push(...dims.map((d) => d.column), ...measures.map((m) => m.column));
    return `select ${[...dims, ...measures].map((x) => `${x.sql} as ${q(x.column.key)}`).join(', ')}`;
  });
  const where = fragment(env, (c) => {
    const conditions = whereConditions(plan, scope, planner, c);
    return conditions.length ? `where ${conditions.join(' and ')}` : '';
  });
  const groupBy: Fragment = { sql: dims.length ? `group by ${dims.map((d) => d.sql).join(', ')}` : '', params: [] };
  const having = fragment(env, (c) => {
    const conditions = plan.filters.flatMap((f, i) => (f.measure ? [`(${measurePredicate(f, i, planner.n, c)})`] : []));
    return conditions.length ? `having ${conditions.join(' and ')}` : '';
  });
  const from = planner.from();

  return { ...assemble([select, from, where, groupBy, having, ...tailOf(dims.map((d) => d.column.key))]), columns };
}

/** The caller's order, then a total order (time, then dimensions) so a limited result is always the same rows. */
function orderBy(plan: QueryPlan, dimensionKeys: string[]): { key: string; direction: 'asc' | 'desc' }[] {
  const timeKey = plan.time?.key;
  const asKey = (member: string) => (timeKey && member === plan.time?.dimension.member ? timeKey : member);
  const order = (plan.query.order ?? []).map((o) => ({ key: asKey(o.member), direction: o.direction }));
  if (dimensionKeys.length === 0) return order;
  if (order.length === 0) {
    if (timeKey) order.push({ key: timeKey, direction: 'asc' });
    else order.push({ key: plan.measures[0].member, direction: 'desc' });
  }
  for (const key of [...(timeKey ? [timeKey] : []), ...dimensionKeys]) {
    if (!order.some((o) => o.key === key)) order.push({ key, direction: 'asc' });
  }
  return order;
}
