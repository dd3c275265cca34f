import { AnalyticsQueryError } from '../analytics-query.error';
import type { AnalyticsFilter, AnalyticsQuery, CompiledColumn, Granularity } from '../analytics.types';
import { CUBES, type CubeDef, type DimensionDef, type MeasureDef } from '../model';
import { DEFAULT_LIMIT, describeIssues, querySchema } from './query.schema';
import { parseIsoDay } from './sql-context';

/** The answer's column of a plain dimension: its row key is the member; a coded one carries its labels. */
export function dimensionColumnOf(d: ResolvedDimension): CompiledColumn {
  return {
    key: d.member,
    member: d.member,
    title: d.def.title.trim() || d.member,
    type: d.def.type === 'time' ? 'date' : d.def.type,
    ...(d.def.values ? { values: d.def.values } : {}),
  };
}

export interface ResolvedMeasure {
  member: string;
  def: MeasureDef;
}

export interface ResolvedDimension {
  member: string;
  def: DimensionDef;
}

export interface ResolvedFilter {
  filter: AnalyticsFilter;
  dimension?: ResolvedDimension;
  measure?: ResolvedMeasure;
}

export interface ResolvedTime {
  dimension: ResolvedDimension;
  granularity?: Granularity;
  /** The result column key: '<dimension>.<granularity>'. */
  key?: string;
  dateRange?: [Date, Date];
  fiscalYear?: number;
}

/** A query checked against the model: one cube's rows, and the members it reads. */
export interface QueryPlan {
  query: AnalyticsQuery;
  cube: CubeDef;
  measures: ResolvedMeasure[];
  dimensions: ResolvedDimension[];
  time?: ResolvedTime;
  filters: ResolvedFilter[];
  limit: number;
}

const invalid = (message: string) => new AnalyticsQueryError('INVALID_QUERY', message);

const list = (names: string[]) => names.join(', ');

function splitMember(member: string, where: string): [CubeDef, string] {
  const dot = member.indexOf('.');
  const cube = dot > 0 ? CUBES.get(member.slice(0, dot)) : undefined;
  if (!cube) {
    throw invalid(`${where}: unknown member '${member}': members are 'Cube.member' and the cubes are ${list([...CUBES.keys()])}.`);
  }
  return [cube, member.slice(dot + 1)];
}

export function resolveMeasure(member: string, where: string): ResolvedMeasure {
  const [cube, name] = splitMember(member, where);
  const def = Object.hasOwn(cube.measures, name) ? cube.measures[name] : undefined;
  if (!def) {
    const hint = Object.hasOwn(cube.dimensions, name) ? `${member} is a dimension, not a measure; ` : '';
    throw invalid(`${where}: unknown measure '${member}': ${hint}the measures of ${cube.name} are ${list(Object.keys(cube.measures))}.`);
  }
  return { member, def };
}

export function resolveDimension(member: string, where: string): ResolvedDimension {
  const [cube, name] = splitMember(member, where);
  const def = Object.hasOwn(cube.dimensions, name) ? cube.dimensions[name] : undefined;
  if (!def) {
    const hint = Object.hasOwn(cube.measures, name) ? `${member} is a measure, not a dimension; ` : '';
    throw invalid(`${where}: unknown dimension '${member}': ${hint}the dimensions of ${cube.name} are ${list(Object.keys(cube.dimensions))}.`);
  }
  return { member, def };
}

const cubeOf = (member: string) => member.slice(0, member.indexOf('.'));

/** The dimension must be the query cube's own or one of the cubes it joins. */
function assertReachable(cube: CubeDef, member: string, where: string): void {
  const owner = cubeOf(member);
  if (owner !== cube.name && !cube.joins.includes(owner)) {
    const reachable = [cube.name, ...cube.joins];
    throw invalid(`${where}: ${member} cannot be used in a query over ${cube.name}: it reads ${cube.name} rows, which can be cut by the dimensions of ${list(reachable)}.`);
  }
}

/** Shape (zod) then model: every member exists and the query reads one cube's rows. */
export function planQuery(input: unknown): QueryPlan {
  const parsed = querySchema.safeParse(input);
  if (!parsed.success) throw invalid(`Invalid analytics query: ${describeIssues(parsed.error)}.`);
  const query = parsed.data;

  const measures = query.measures.map((m, i) => resolveMeasure(m, `measures[${i}]`));
  const cubes = [...new Set(measures.map((m) => cubeOf(m.member)))];
  if (cubes.length > 1) {
    throw invalid(
      `measures: ${list(cubes)} cannot be mixed in one query: a query reads one cube's rows (ask for each cube's measures in a query of its own).`,
    );
  }
  const cube = CUBES.get(cubes[0])!;

  const dimensions = (query.dimensions ?? []).map((d, i) => {
    const resolved = resolveDimension(d, `dimensions[${i}]`);
    assertReachable(cube, d, `dimensions[${i}]`);
    return resolved;
  });
  if (new Set(query.dimensions ?? []).size !== dimensions.length) throw invalid('dimensions: a dimension is listed twice.');
  if (new Set(query.measures).size !== measures.length) throw invalid('measures: a measure is listed twice.');

  const filters = (query.filters ?? []).map((filter, i): ResolvedFilter => {
    const where = `filters[${i}]`;
    const [owner, name] = splitMember(filter.member, where);
    if (Object.hasOwn(owner.measures, name)) {
      if (owner.name !== cube.name) throw invalid(`${where}: ${filter.member} is a measure of another cube than the query's (${cube.name}).`);
      return { filter, measure: resolveMeasure(filter.member, where) };
    }
    const dimension = resolveDimension(filter.member, where);
    assertReachable(cube, filter.member, where);
    return { filter, dimension };
  });

  let time: ResolvedTime | undefined;
  if (query.timeDimension) {
    const td = query.timeDimension;
    const dimension = resolveDimension(td.dimension, 'timeDimension.dimension');
    assertReachable(cube, td.dimension, 'timeDimension.dimension');
    if (dimension.def.type !== 'time') {
      const times = Object.entries(cube.dimensions).filter(([, d]) => d.type === 'time').map(([n]) => `${cube.name}.${n}`);
      throw invalid(`timeDimension.dimension: ${td.dimension} is not a date; the dates of ${cube.name} are ${list(times) || 'none'}.`);
    }
    let dateRange: [Date, Date] | undefined;
    if (td.dateRange) {
      const [from, to] = td.dateRange.map((d) => parseIsoDay(d));
      if (!from || !to) throw invalid(`timeDimension.dateRange: expected two ISO dates 'YYYY-MM-DD', got ${JSON.stringify(td.dateRange)}.`);
      if (from > to) throw invalid(`timeDimension.dateRange: ${td.dateRange[0]} is after ${td.dateRange[1]}.`);
      dateRange = [from, to];
    }
    const key = td.granularity ? `${td.dimension}.${td.granularity}` : undefined;
    time = { dimension, granularity: td.granularity, key, dateRange, fiscalYear: td.fiscalYear };
  }

  const orderable = new Set([...query.measures, ...(query.dimensions ?? []), ...(time?.key ? [time.key, time.dimension.member] : [])]);
  (query.order ?? []).forEach((o, i) => {
    if (!orderable.has(o.member)) {
      throw invalid(`order[${i}]: ${o.member} is not in the query; order by one of ${list([...orderable])}.`);
    }
  });

  return { query, cube, measures, dimensions, time, filters, limit: query.limit ?? DEFAULT_LIMIT };
}
