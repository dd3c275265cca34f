import type { Dialect } from '@kineo/warehouse';
import { GRANULARITY_TITLES, type AnalyticsScope, type CompiledColumn, type CompiledQuery, type Granularity } from '../analytics.types';
import type { Nodes } from '../model';
import { rollupColumns, rollupRowsStatement, rollupSignature, rollupsOf, type ResolvedRollup, type RollupManifestEntry } from '../rollups/rollups';
import { dimensionPredicate, grainValue, measurePredicate } from './filters';
import { dateNodeOf } from './join-planner';
import { dimensionColumnOf, type QueryPlan, type ResolvedFilter } from './resolve';
import { dateKeyOf, fragment, parseIsoDay, type CompileEnv, type Fragment, type ParamSink } from './sql-context';

/** Grains a query may group by from a rollup kept at each grain. */
const DERIVABLE: Record<'day' | 'month', ReadonlySet<Granularity>> = {
  day: new Set(['day', 'week', 'month', 'quarter', 'year', 'fiscalYear', 'fiscalQuarter']),
  // A fiscal year may start mid-month (a tenant's own calendar), so only calendar grains derive from months.
  month: new Set(['month', 'quarter', 'year']),
};

const ORGANISATION_ID = 'Learner.organisationId';

const isFirstOfMonth = (d: Date) => d.getUTCDate() === 1;
const isLastOfMonth = (d: Date) => new Date(d.getTime() + 86_400_000).getUTCDate() === 1;

const ownerOf = (member: string) => member.slice(0, member.indexOf('.'));

const DAY_MS = 86_400_000;
const firstOfMonth = (d: Date) => new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1));
const lastOfMonth = (d: Date) => new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0));

/**
 * A period (an `inDateRange` filter, a dashboard's "Completed: last 12 months") on the date a month
 * rollup keeps by month: the whole months it covers are read from the rollup, and the days of the
 * months it covers in part (its first and last) are summed from the facts as the rollup's build
 * sums them, into rows of the rollup's shape. So "the 12 months to 15 June" reads 11 months of
 * rollup rows and 30 days of facts, not 365 days of facts.
 */
export interface MonthPeriod {
  /** The filter's place in the plan (its predicate is the union's, not the outer query's). */
  index: number;
  /** The first and last month read whole from the rollup (date keys of their first days). */
  months: [number, number];
  /** Runs of days read from the facts, each [first, last] as date keys. */
  days: [number, number][];
}

function monthPeriodOf(rollup: ResolvedRollup, plan: QueryPlan): MonthPeriod | 'none' | 'unusable' {
  const time = rollup.time;
  if (!time || time.granularity !== 'month' || rollup.dimensions.has(time.dimension.member)) return 'none';
  const on = plan.filters.map((f, index) => ({ f, index })).filter(({ f }) => f.dimension?.member === time.dimension.member);
  if (on.length === 0) return 'none';
  const [{ f, index }] = on;
  const values = f.filter.values ?? [];
  const [from, to] = values.map((v) => (typeof v === 'string' ? parseIsoDay(v) : undefined));
  // One period of two days, in order; anything else on the date is the facts' to answer (and to refuse).
  if (on.length > 1 || f.filter.operator !== 'inDateRange' || values.length !== 2 || !from || !to || from > to) return 'unusable';
  const sameMonth = firstOfMonth(from).getTime() === firstOfMonth(to).getTime();
  const wholeFirst = isFirstOfMonth(from) ? from : new Date(lastOfMonth(from).getTime() + DAY_MS);
  const wholeLast = isLastOfMonth(to) ? firstOfMonth(to) : firstOfMonth(new Date(firstOfMonth(to).getTime() - DAY_MS));
  const days: [number, number][] = [];
  if (sameMonth && !(isFirstOfMonth(from) && isLastOfMonth(to))) days.push([dateKeyOf(from), dateKeyOf(to)]);
  else {
    if (!isFirstOfMonth(from)) days.push([dateKeyOf(from), dateKeyOf(lastOfMonth(from))]);
    if (!isLastOfMonth(to)) days.push([dateKeyOf(firstOfMonth(to)), dateKeyOf(to)]);
  }
  // Without a whole month, the union would be the facts' own query and more: the facts answer.
  if (wholeFirst > wholeLast) return 'unusable';
  return { index, months: [dateKeyOf(wholeFirst), dateKeyOf(wholeLast)], days };
}

/**
 * Whether each group of the query is exactly one row of the rollup: the query groups by a dimension
 * that identifies what every other kept dimension describes (Learner.userId among Learner
 * dimensions), and the rollup keeps no date, so it has one row per value of it. Its rows are then
 * read as they are, without grouping them again: a rollup of 600,000 learners regrouped by their
 * id, name, position and manager cost more than the per-learner totals saved.
 */
export function oneRowPerGroup(rollup: ResolvedRollup, plan: QueryPlan): boolean {
  if (rollup.time) return false;
  const kept = [...rollup.dimensions.keys()];
  return plan.dimensions.some((d) => d.def.identifies === true && rollup.dimensions.has(d.member) && kept.every((k) => ownerOf(k) === ownerOf(d.member)));
}

/** Why a rollup cannot answer the plan, or undefined when it gives the facts' answer. */
function mismatch(rollup: ResolvedRollup, plan: QueryPlan, scope: AnalyticsScope, period: ReturnType<typeof monthPeriodOf>): string | undefined {
  if (scope.kind === 'manager') return 'a manager scope is a set of learners';
  if (scope.kind === 'viewer' && !rollup.dimensions.has(ORGANISATION_ID)) return 'a viewer scope needs the organisation';
  const measures = [...plan.measures.map((m) => m.member), ...plan.filters.flatMap((f) => (f.measure ? [f.measure.member] : []))];
  if (!measures.every((m) => rollup.measures.has(m))) return 'a measure is not kept';
  if (!plan.dimensions.every((d) => rollup.dimensions.has(d.member))) return 'a dimension is not kept';
  if (period === 'unusable') return 'a filter on the date kept by month is not one period of at least one whole month';
  for (const f of plan.filters) {
    if (!f.dimension || rollup.dimensions.has(f.dimension.member)) continue;
    if (f.dimension.member !== rollup.time?.dimension.member) return 'a filter is on a member not kept';
  }
  const time = plan.time;
  if (time) {
    if (!rollup.time || rollup.time.dimension.member !== time.dimension.member) return 'the date is not kept';
    if (time.granularity && !DERIVABLE[rollup.time.granularity].has(time.granularity)) return 'the grain does not derive';
    if (rollup.time.granularity === 'month') {
      if (time.fiscalYear !== undefined) return 'a fiscal year does not derive from months';
      if (time.dateRange && !(isFirstOfMonth(time.dateRange[0]) && isLastOfMonth(time.dateRange[1]))) return 'the date range splits a month';
    }
  }
  if (measures.some((m) => rollup.measures.get(m)!.exact) && !oneRowPerGroup(rollup, plan)) {
    // A distinct count never re-aggregates: each group of the query must be exactly one rollup row.
    const fixed = new Set(
      plan.filters.flatMap((f) => (f.dimension && ['equals', 'in'].includes(f.filter.operator) && f.filter.values?.length === 1 ? [f.dimension.member] : [])),
    );
    const grouped = new Set(plan.dimensions.map((d) => d.member));
    if (![...rollup.dimensions.keys()].every((d) => grouped.has(d) || fixed.has(d))) return 'a distinct count would re-aggregate';
    if (rollup.time && time?.granularity !== rollup.time.granularity) return 'a distinct count would re-aggregate dates';
  }
  return undefined;
}

/**
 * The rollup that answers the plan exactly as the facts would, among those the published version
 * holds (same definition, and built at the query's as_of when its figures depend on it); one that
 * needs no days from the facts (a period's part months) before one that does, then the smallest.
 * None: the facts answer.
 */
export function chooseRollup(
  plan: QueryPlan,
  scope: AnalyticsScope,
  dialect: Dialect,
  env: CompileEnv,
  available: readonly RollupManifestEntry[],
): { rollup: ResolvedRollup; entry: RollupManifestEntry } | undefined {
  const asOfKey = dateKeyOf(env.asOf);
  let best: { rollup: ResolvedRollup; entry: RollupManifestEntry; factDays: number } | undefined;
  for (const rollup of rollupsOf(plan.cube)) {
    const entry = available.find((e) => e.rollup === rollup.id);
    if (!entry) continue;
    const { signature, asOfBound } = rollupSignature(rollup, dialect);
    if (entry.signature !== signature || entry.table !== rollup.table) continue;
    if (asOfBound && entry.asOfKey !== asOfKey) continue;
    const period = monthPeriodOf(rollup, plan);
    if (mismatch(rollup, plan, scope, period) !== undefined) continue;
    const factDays = typeof period === 'object' && period.days.length > 0 ? 1 : 0;
    if (!best || factDays < best.factDays || (factDays === best.factDays && entry.rows < best.entry.rows)) best = { rollup, entry, factDays };
  }
  return best && { rollup: best.rollup, entry: best.entry };
}

/** The plan over a rollup table: its kept dimensions grouped again, measures recombined from their parts. */
export function compileRollupPlan(
  plan: QueryPlan,
  scope: AnalyticsScope,
  dialect: Dialect,
  env: CompileEnv,
  rollup: ResolvedRollup,
  tail: (dimensionKeys: string[]) => Fragment[],
): CompiledQuery {
  const q = (name: string) => dialect.ident(name);
  const col = (member: string) => `f.${rollup.dimensions.get(member)!.column}`;
  const partColumn = (member: string, part: string) => `f.${rollup.parts.find((p) => p.measure === member && p.part === part)!.column}`;
  // A group of one rollup row: its parts are the group's totals already (a sum of one value, or none).
  const single = oneRowPerGroup(rollup, plan);
  const found = monthPeriodOf(rollup, plan);
  const period = typeof found === 'object' ? found : undefined;
  const measureSql = (member: string) =>
    rollup.measures.get(member)!.combine(
      single
        ? { total: (p) => `coalesce(${partColumn(member, p)}, 0)`, one: (p) => partColumn(member, p) }
        : { total: (p) => `coalesce(sum(${partColumn(member, p)}), 0)`, one: (p) => `max(${partColumn(member, p)})` },
    );
  const calendar = 'rd';
  const n = { f: 'f', ...(rollup.time ? { [dateNodeOf(rollup.time.dimension.member.slice(rollup.time.dimension.member.indexOf('.') + 1))]: calendar } : {}) } as Nodes;
  let joinCalendar = false;

  const dims: { sql: string; column: CompiledColumn }[] = plan.dimensions.map((d) => ({
    sql: col(d.member),
    column: dimensionColumnOf(d),
  }));
  if (plan.time?.granularity) {
    const grain = grainValue(plan.time.dimension, plan.time.granularity, n);
    joinCalendar = true;
    dims.push({
      sql: grain.sql,
      column: { key: plan.time.key!, member: plan.time.dimension.member, title: `${plan.time.dimension.def.title} (${GRANULARITY_TITLES[plan.time.granularity]})`, type: grain.type },
    });
  }
  const columns: CompiledColumn[] = [
    ...dims.map((d) => d.column),
    ...plan.measures.map((m): CompiledColumn => ({ key: m.member, member: m.member, title: m.def.title, type: 'number', format: m.def.format })),
  ];
  const select: Fragment = {
    sql: `select ${[...dims.map((d) => `${d.sql} as ${q(d.column.key)}`), ...plan.measures.map((m) => `${measureSql(m.member)} as ${q(m.member)}`)].join(', ')}`,
    params: [],
  };

  const measureConditions = (c: ParamSink) =>
    plan.filters.flatMap((f, i) => {
      if (!f.measure) return [];
      const recombined: ResolvedFilter = { ...f, measure: { member: f.measure.member, def: { ...f.measure.def, sql: () => measureSql(f.measure!.member) } } };
      return [`(${measurePredicate(recombined, i, n, c)})`];
    });
  const where = fragment(env, (c) => {
    const conditions: string[] = [];
    if (scope.kind === 'viewer') {
      if (scope.organisationIds.length === 0) conditions.push('1 = 0');
      else {
        // The granted subtrees as organisation ids, matched on the id the rollup keeps for each row's learner.
        conditions.push(
          `${col(ORGANISATION_ID)} in (select so.organisation_id from ${c.gold('dim_organisation')} so ` +
            `join ${c.gold('dim_organisation')} sg on (so.organisation_key = sg.organisation_key or substr(so.path, 1, length(sg.path) + 1) = sg.path || '/') ` +
            `where so.organisation_key <> -1 and sg.organisation_key <> -1 and sg.organisation_id in (${scope.organisationIds.map((id) => c.param(id)).join(', ')}))`,
        );
      }
    }
    plan.filters.forEach((f, i) => {
      if (!f.dimension || i === period?.index) return;
      const kept = rollup.dimensions.get(f.dimension.member);
      const sql = kept ? `f.${kept.column}` : `f.${rollup.time!.column}`;
      const onColumn: ResolvedFilter = { ...f, dimension: { member: f.dimension.member, def: { ...f.dimension.def, sql: () => sql } } };
      conditions.push(dimensionPredicate(onColumn, i, n, c));
    });
    if (plan.time) {
      const key = `f.${rollup.time!.column}`;
      if (plan.time.granularity) conditions.push(`${key} <> -1`);
      if (plan.time.dateRange) {
        const [from, to] = plan.time.dateRange.map(dateKeyOf);
        // A month rollup keys each month by its first day; the range is whole months (checked when chosen).
        const first = rollup.time!.granularity === 'month' ? from - (from % 100) + 1 : from;
        conditions.push(`${key} between ${c.param(first)} and ${c.param(to)}`);
      }
      if (plan.time.fiscalYear !== undefined) {
        joinCalendar = true;
        conditions.push(`${key} <> -1 and ${grainValue(plan.time.dimension, 'fiscalYear', n).sql} = ${c.param(plan.time.fiscalYear)}`);
      }
    }
    const all = conditions.map((p) => `(${p})`);
    // Without a GROUP BY a measure's filter is a row's, and comes after the others as HAVING would.
    if (single) all.push(...measureConditions(c));
    return all.length ? `where ${all.join(' and ')}` : '';
  });
  const having = fragment(env, (c) => {
    const conditions = single ? [] : measureConditions(c);
    return conditions.length ? `having ${conditions.join(' and ')}` : '';
  });
  const from = fragment(env, (c) => {
    let rows = env.gold(rollup.table);
    if (period) {
      // The period's whole months as kept, and its part months' days summed from the facts into rows of the same
      // shape; both only in the columns this query reads, so the facts' days are grouped by no more than it needs.
      const kept = rollupColumns(
        rollup,
        new Set([
          ...plan.dimensions.map((d) => d.member),
          ...plan.filters.flatMap((f) => (f.dimension ? [f.dimension.member] : [])),
          ...(scope.kind === 'viewer' ? [ORGANISATION_ID] : []),
        ]),
        new Set([...plan.measures.map((m) => m.member), ...plan.filters.flatMap((f) => (f.measure ? [f.measure.member] : []))]),
      );
      const columns = [...kept.dimensions.map((d) => d.column), rollup.time!.column, ...kept.parts.map((p) => p.column)].join(', ');
      const parts = [`select ${columns} from ${env.gold(rollup.table)} where ${rollup.time!.column} between ${c.param(period.months[0])} and ${c.param(period.months[1])}`];
      if (period.days.length > 0) {
        parts.push(rollupRowsStatement(rollup, dialect, env, (key) => period.days.map(([a, b]) => `${key} between ${c.param(a)} and ${c.param(b)}`).join(' or '), kept));
      }
      rows = `(${parts.join(' union all ')})`;
    }
    return `from ${rows} f${joinCalendar ? ` left join ${env.gold('dim_date')} ${calendar} on ${calendar}.date_key = f.${rollup.time!.column}` : ''}`;
  });
  const groupBy: Fragment = { sql: dims.length && !single ? `group by ${dims.map((d) => d.sql).join(', ')}` : '', params: [] };
  const parts = [select, from, where, groupBy, having, ...tail(dims.map((d) => d.column.key))];
  const present = parts.filter((p) => p.sql !== '');
  return { sql: present.map((p) => p.sql).join(' '), params: present.flatMap((p) => p.params), columns, rollup: rollup.id };
}
