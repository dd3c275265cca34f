import { AnalyticsQueryError } from '../analytics-query.error';
import type { FilterValue, Granularity } from '../analytics.types';
import type { DimensionDef, Nodes } from '../model';
import { dateNodeOf } from './join-planner';
import type { ResolvedDimension, ResolvedFilter } from './resolve';
import { dateKeyOf, parseIsoDay, type ParamSink } from './sql-context';

const invalid = (message: string) => new AnalyticsQueryError('INVALID_QUERY', message);

const memberName = (member: string) => member.slice(member.indexOf('.') + 1);

/** The SQL of a dimension's value: for a time dimension, its calendar date (gold.dim_date.date). */
export function dimensionValue(d: ResolvedDimension, n: Nodes, c: ParamSink): string {
  if (d.def.type === 'time') return `${n[dateNodeOf(memberName(d.member))]}.date`;
  return d.def.sql(n, c);
}

/** A time dimension at a grain: the value grouped on, and its result type. */
export function grainValue(d: ResolvedDimension, granularity: Granularity, n: Nodes): { sql: string; type: 'date' | 'number' | 'string' } {
  return grainOfDay(n[dateNodeOf(memberName(d.member))], granularity);
}

/** The grain of the gold.dim_date row aliased `day`. */
export function grainOfDay(day: string, granularity: Granularity): { sql: string; type: 'date' | 'number' | 'string' } {
  switch (granularity) {
    case 'day':
      return { sql: `${day}.date`, type: 'date' };
    case 'week':
    case 'month':
    case 'quarter':
      // Both engines truncate with date_trunc; the cast keeps a DATE (Databricks returns a timestamp).
      return { sql: `cast(date_trunc('${granularity}', ${day}.date) as date)`, type: 'date' };
    case 'year':
      return { sql: `${day}.year`, type: 'number' };
    case 'fiscalYear':
      return { sql: `${day}.fiscal_year`, type: 'number' };
    case 'fiscalQuarter':
      return { sql: `${day}.fiscal_year_name || ' Q' || cast(${day}.fiscal_quarter as string)`, type: 'string' };
  }
}

/** A caller's value as the dimension's type, or a clear error naming the filter. */
export function coerce(def: DimensionDef, value: FilterValue, where: string): string | number | boolean {
  switch (def.type) {
    case 'number': {
      const v = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
      if (!Number.isFinite(v)) throw invalid(`${where}: ${JSON.stringify(value)} is not a number.`);
      return v;
    }
    case 'boolean':
      if (value === true || value === 'true' || value === 1) return true;
      if (value === false || value === 'false' || value === 0) return false;
      throw invalid(`${where}: ${JSON.stringify(value)} is not true or false.`);
    case 'time': {
      const day = typeof value === 'string' ? parseIsoDay(value) : undefined;
      if (!day) throw invalid(`${where}: ${JSON.stringify(value)} is not an ISO date 'YYYY-MM-DD'.`);
      return dateKeyOf(day);
    }
    default:
      return String(value);
  }
}

const ONE_VALUE = new Set(['gt', 'gte', 'lt', 'lte', 'beforeDate', 'afterDate']);
const COMPARE: Record<string, string> = { gt: '>', gte: '>=', lt: '<', lte: '<=', beforeDate: '<', afterDate: '>' };

/** One filter on a dimension as a predicate; every value is bound. */
export function dimensionPredicate(f: ResolvedFilter, index: number, n: Nodes, c: ParamSink): string {
  const { filter } = f;
  const d = f.dimension!;
  const where = `filters[${index}] (${filter.member} ${filter.operator})`;
  const values = filter.values ?? [];
  const isTime = d.def.type === 'time';
  const needValues = (min: number, max = Infinity) => {
    if (values.length < min || values.length > max) {
      const count = (n: number) => (n === 1 ? 'one value' : `${n} values`);
      const expected = min === max ? count(min) : max === Infinity ? `at least ${count(min)}` : `${min} to ${count(max)}`;
      throw invalid(`${where}: expects ${expected}, got ${values.length}.`);
    }
  };
  // A time dimension is filtered on its integer date key: no join, no timestamp casts; -1 is unknown.
  const expr = d.def.sql(n, c);
  const bind = (v: FilterValue) => c.param(coerce(d.def, v, where));
  const inList = () => values.map(bind).join(', ');

  switch (filter.operator) {
    case 'equals':
    case 'in':
      needValues(1);
      return values.length === 1 ? `${expr} = ${bind(values[0])}` : `${expr} in (${inList()})`;
    case 'notEquals':
    case 'notIn':
      needValues(1);
      return `(${expr} is null or ${expr} not in (${inList()}))`;
    case 'contains':
      needValues(1);
      if (d.def.type !== 'string') throw invalid(`${where}: contains applies to text dimensions; ${filter.member} is a ${d.def.type}.`);
      return `(${values.map((v) => `instr(lower(${expr}), ${c.param(String(v).toLowerCase())}) > 0`).join(' or ')})`;
    case 'set':
      needValues(0, 0);
      return isTime ? `${expr} <> -1` : `${expr} is not null`;
    case 'notSet':
      needValues(0, 0);
      return isTime ? `${expr} = -1` : `${expr} is null`;
    case 'inDateRange': {
      if (!isTime) throw invalid(`${where}: inDateRange applies to dates; ${filter.member} is a ${d.def.type}.`);
      needValues(2, 2);
      return `${expr} between ${bind(values[0])} and ${bind(values[1])}`;
    }
    default: {
      if (!ONE_VALUE.has(filter.operator)) throw invalid(`${where}: unknown operator.`);
      if ((filter.operator === 'beforeDate' || filter.operator === 'afterDate') && !isTime) {
        throw invalid(`${where}: ${filter.operator} applies to dates; ${filter.member} is a ${d.def.type}.`);
      }
      if (d.def.type !== 'number' && !isTime) throw invalid(`${where}: ${filter.operator} applies to numbers and dates; ${filter.member} is a ${d.def.type}.`);
      needValues(1, 1);
      const op = COMPARE[filter.operator];
      const predicate = `${expr} ${op} ${bind(values[0])}`;
      return isTime && op.startsWith('<') ? `${expr} <> -1 and ${predicate}` : predicate;
    }
  }
}

/** One filter on a measure (HAVING). */
export function measurePredicate(f: ResolvedFilter, index: number, n: Nodes, c: ParamSink): string {
  const { filter } = f;
  const where = `filters[${index}] (${filter.member} ${filter.operator})`;
  const values = filter.values ?? [];
  const expr = f.measure!.def.sql(n, c);
  const num = (v: FilterValue) => {
    const x = typeof v === 'number' ? v : Number(v);
    if (typeof v === 'boolean' || !Number.isFinite(x)) throw invalid(`${where}: ${JSON.stringify(v)} is not a number.`);
    return c.param(x);
  };
  switch (filter.operator) {
    case 'set':
      return `${expr} is not null`;
    case 'notSet':
      return `${expr} is null`;
    case 'equals':
    case 'in':
    case 'notEquals':
    case 'notIn': {
      if (values.length === 0) throw invalid(`${where}: expects at least one value.`);
      const negate = filter.operator === 'notEquals' || filter.operator === 'notIn';
      return `${expr} ${negate ? 'not in' : 'in'} (${values.map(num).join(', ')})`;
    }
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte':
      if (values.length !== 1) throw invalid(`${where}: expects 1 value, got ${values.length}.`);
      return `${expr} ${COMPARE[filter.operator]} ${num(values[0])}`;
    default:
      throw invalid(`${where}: ${filter.operator} does not apply to a measure; use equals, notEquals, gt, gte, lt, lte, set or notSet.`);
  }
}
