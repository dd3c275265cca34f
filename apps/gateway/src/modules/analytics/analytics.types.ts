import { Field, GraphQLISODateTime, InputType, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import { FILTER_OPERATORS, GRANULARITIES, type FilterOperator, type Granularity } from '@kineo/analytics';
import { GraphQLJSON } from '../../engine/graphql/json.scalar';

const enumOf = <T extends string>(values: readonly T[]) => Object.fromEntries(values.map((v) => [v, v])) as { [K in T]: K };

export const FilterOperatorEnum = enumOf(FILTER_OPERATORS);
registerEnumType(FilterOperatorEnum, { name: 'FilterOperator', description: 'How a filter compares a member with its values.' });

export const GranularityEnum = enumOf(GRANULARITIES);
registerEnumType(GranularityEnum, { name: 'Granularity', description: 'The grain a time dimension is grouped by.' });

export const PartialReasonEnum = enumOf(['asOf', 'range'] as const);
registerEnumType(PartialReasonEnum, {
  name: 'PartialReason',
  description: 'Why a period is cut short: the data ends inside it (asOf: the month to date), or the range asked for does (range).',
});

export const OrderDirectionEnum = enumOf(['asc', 'desc'] as const);
registerEnumType(OrderDirectionEnum, { name: 'OrderDirection' });

export const ReachEnum = enumOf(['all', 'direct'] as const);
registerEnumType(ReachEnum, {
  name: 'Reach',
  description: "Which of a manager's reports an answer covers; ignored for other roles.",
  valuesMap: { all: { description: 'Everyone below them, at every level (the default).' }, direct: { description: 'Their direct reports only.' } },
});

export const ColumnTypeEnum = enumOf(['string', 'number', 'boolean', 'date'] as const);
registerEnumType(ColumnTypeEnum, { name: 'ColumnType', description: 'The JSON type of a column in result rows (a date is "YYYY-MM-DD" text).' });

export const MemberTypeEnum = enumOf(['string', 'number', 'boolean', 'date', 'time'] as const);
registerEnumType(MemberTypeEnum, { name: 'MemberType', description: 'A member\'s type; a "time" dimension can be grouped by a granularity.' });

export const ColumnFormatEnum = enumOf(['percent', 'integer', 'decimal', 'hours', 'days'] as const);
registerEnumType(ColumnFormatEnum, { name: 'ColumnFormat', description: 'How a number is meant to be shown.' });

export const ValueToneEnum = enumOf(['good', 'warning', 'bad', 'active', 'neutral'] as const);
registerEnumType(ValueToneEnum, {
  name: 'ValueTone',
  description: 'What a coded value means to a reader, so a chart can colour it the same everywhere (red as red, complete as complete).',
});

export const ChartKindEnum = enumOf(['kpi', 'bar', 'line', 'pie', 'table'] as const);
registerEnumType(ChartKindEnum, { name: 'ChartKind' });

@InputType({ description: 'Keeps only the rows whose member compares with the values as the operator says.' })
export class AnalyticsFilterInput {
  @Field({ description: "A dimension or measure, e.g. 'Learner.organisationName'." })
  member!: string;

  @Field(() => FilterOperatorEnum)
  operator!: FilterOperator;

  @Field(() => [GraphQLJSON], { nullable: true, description: 'Strings, numbers or booleans; none for set and notSet.' })
  values?: (string | number | boolean)[] | null;
}

@InputType({ description: 'Groups by, or filters on, a time dimension.' })
export class TimeDimensionInput {
  @Field({ description: "A time dimension, e.g. 'CourseProgress.completedDate'." })
  dimension!: string;

  @Field(() => GranularityEnum, { nullable: true, description: 'Groups by this grain; unset: the time dimension only filters.' })
  granularity?: Granularity | null;

  @Field(() => [String], { nullable: true, description: "Inclusive ['YYYY-MM-DD', 'YYYY-MM-DD']." })
  dateRange?: string[] | null;

  @Field(() => Int, { nullable: true, description: 'Only this fiscal year, named by the calendar year in which it ends.' })
  fiscalYear?: number | null;
}

@InputType()
export class AnalyticsOrderInput {
  @Field()
  member!: string;

  @Field(() => OrderDirectionEnum)
  direction!: 'asc' | 'desc';
}

@InputType({ description: 'Measures grouped by dimensions, as the model in `analyticsMeta` names them.' })
export class AnalyticsQueryInput {
  @Field(() => [String], { description: "e.g. ['CourseProgress.completionRate']; all from one cube." })
  measures!: string[];

  @Field(() => [String], { nullable: true })
  dimensions?: string[] | null;

  @Field(() => [AnalyticsFilterInput], { nullable: true })
  filters?: AnalyticsFilterInput[] | null;

  @Field(() => TimeDimensionInput, { nullable: true })
  timeDimension?: TimeDimensionInput | null;

  @Field(() => [AnalyticsOrderInput], { nullable: true })
  order?: AnalyticsOrderInput[] | null;

  @Field(() => Int, { nullable: true, description: 'Rows at most; 1000 unless set, 50000 at most (exports have no limit).' })
  limit?: number | null;

  @Field(() => Int, {
    nullable: true,
    description: "Rows skipped before the first one returned, in the query's order: `offset: 50, limit: 25` is the third page of 25. 0 unless set, 10,000,000 at most; exports ignore it (a file holds the whole answer).",
  })
  offset?: number | null;

  @Field(() => Boolean, { nullable: true, description: 'Also count the rows of the whole answer, as if it had no limit and no offset, into `total`.' })
  total?: boolean | null;
}

@ObjectType('DimensionValue', { description: "One code a coded dimension takes (a status, a RAG), as the rows carry it, with how it reads." })
export class DimensionValueType {
  @Field({ description: "The code, as the rows carry it (e.g. 'in_progress')." })
  value!: string;

  @Field({ description: "How it reads (e.g. 'In progress')." })
  label!: string;

  @Field(() => ValueToneEnum, { nullable: true })
  tone?: string;
}

@ObjectType('ResultColumn', { description: 'One column of result rows.' })
export class ResultColumn {
  @Field({ description: 'The key of this column in each row.' })
  key!: string;

  @Field({ description: 'The member it shows.' })
  member!: string;

  @Field()
  title!: string;

  @Field(() => ColumnTypeEnum)
  type!: string;

  @Field(() => ColumnFormatEnum, { nullable: true })
  format?: string;

  @Field(() => [DimensionValueType], {
    nullable: true,
    description: 'A coded dimension\'s values in legend order, with labels and tones; a code the list lacks is shown as it is.',
  })
  values?: readonly DimensionValueType[];
}

@ObjectType({ isAbstract: true })
abstract class Versioned {
  @Field(() => Int, { description: 'The published data version the answer was computed on.' })
  dataVersion!: number;

  @Field(() => GraphQLISODateTime, { description: 'The time the data was computed as at: overdue, compliance and expiry are as at it.' })
  asOf!: Date;
}

@ObjectType('PartialPeriod', {
  description:
    "The last period of a time series when the data's as-of, or the end of the range asked for, falls inside it: its rows hold only part of it (e.g. the month to date), so its figures are not comparable with whole periods.",
})
export class PartialPeriod {
  @Field({ description: "The result column key of the time dimension ('<dimension>.<granularity>')." })
  column!: string;

  @Field(() => GraphQLJSON, { description: "That column's value on the rows of the incomplete period (a date, a year, 'FY2025 Q3')." })
  value!: string | number;

  @Field({ description: "The last day (ISO 'YYYY-MM-DD', UTC) the series covers: the data's last day, or the range's when it ends first." })
  through!: string;

  @Field(() => PartialReasonEnum)
  reason!: 'asOf' | 'range';
}

@ObjectType('PartialStart', {
  description:
    "The first period of a time series when the range asked for starts inside it ('Last 12 months' from 8 December: December holds 24 of its days), so its figures are not comparable with whole periods.",
})
export class PartialStart {
  @Field({ description: "The result column key of the time dimension ('<dimension>.<granularity>')." })
  column!: string;

  @Field(() => GraphQLJSON, { description: "That column's value on the rows of the period." })
  value!: string | number;

  @Field({ description: "The range's first day (ISO 'YYYY-MM-DD'), inside the period." })
  from!: string;
}

@ObjectType('AnalyticsResult', { description: 'An answer: typed columns, rows as JSON objects keyed by column key.' })
export class AnalyticsResult extends Versioned {
  @Field(() => [ResultColumn])
  columns!: ResultColumn[];

  /** Resolved as a JSON fragment's placeholder, which the reply replaces with the rows' JSON text (json-fragments.util.ts). */
  @Field(() => GraphQLJSON, { description: 'An array of objects keyed by the columns\' keys.' })
  rows!: unknown;

  @Field({ description: 'True when the answer came from the result cache.' })
  cached!: boolean;

  @Field(() => String, {
    nullable: true,
    description: "The rollup (pre-aggregation built with the data, 'Cube.rollup' as `meta` lists them) that answered; null when the fact tables did.",
  })
  rollup?: string | null;

  @Field(() => PartialPeriod, {
    nullable: true,
    description:
      'With a time granularity: the last period, when the as-of or the end of the range asked for falls inside it (its figures are incomplete); null when it is whole or there is no time series.',
  })
  partialPeriod?: PartialPeriod | null;

  @Field(() => PartialStart, {
    nullable: true,
    description: 'With a time granularity: the first period, when the range asked for starts inside it (its figures are incomplete); null when it is whole, or no range is asked for.',
  })
  partialStart?: PartialStart | null;

  @Field({ description: "True when the answer goes on past these rows (its limit cut it): ask again with `offset`, or export it for every row." })
  hasMore!: boolean;

  @Field(() => Int, {
    nullable: true,
    description: 'How many rows the whole answer has (as if it had no limit and no offset), counted on the same data version; null unless the query asked `total`.',
  })
  total!: number | null;
}

@ObjectType('DrillPage', { description: 'One page of the learner rows behind a cell.' })
export class DrillPage extends AnalyticsResult {
  @Field(() => String, { nullable: true, description: 'Pass as `after` for the next page; null on the last page.' })
  nextCursor!: string | null;

  @Field(() => Int, {
    nullable: true,
    description: 'How many rows the whole list has (every page together), counted on the same data version; given on the first page (no `after`), null on later pages.',
  })
  override total!: number | null;
}

@ObjectType('TileError', { description: "Why a dashboard tile has no answer; the dashboard's other tiles answer." })
export class TileError {
  @Field({ description: "e.g. QUERY_TIMEOUT, NEEDS_NEXT_BUILD, DATA_VERSION_GONE; INTERNAL (its message quotes the request id) for a failure that is the service's own." })
  code!: string;

  @Field({ description: 'What to tell the person looking at the tile.' })
  message!: string;

  @Field(() => Int, { nullable: true, description: 'When the error says when to try again: the seconds to wait.' })
  retryAfterSeconds?: number | null;
}

@ObjectType('DashboardTile')
export class DashboardTileResult {
  @Field()
  id!: string;

  @Field()
  title!: string;

  @Field(() => ChartKindEnum)
  chart!: string;

  @Field({ description: "Whether the tile's cells open a drill list (pass `query` and a row's cell to `drill`)." })
  drill!: boolean;

  @Field(() => GraphQLJSON, {
    description:
      'The analytics query of the tile (with the dashboard filters applied): the input of `drill` and exports. A table tile\'s is its whole list, which `result` holds the first page of (see `pageSize`).',
  })
  query!: unknown;

  @Field(() => Int, {
    nullable: true,
    description:
      "A table tile's page size: `result` holds the first `pageSize` rows of `query`, with `hasMore` and the list's `total`; `analytics` with `limit: pageSize` and `offset` answers the other pages. Null for charts and figures.",
  })
  pageSize!: number | null;

  @Field(() => AnalyticsResult, { nullable: true, description: "The tile's answer; null when its query failed (see `error`)." })
  result!: AnalyticsResult | null;

  @Field(() => TileError, { nullable: true, description: "Why the tile has no answer; null when it answered. Not cached: the next request asks again." })
  error!: TileError | null;
}

@ObjectType('DashboardPeriod', {
  description:
    "A date range the dashboard can be cut by ('Completed'): send it as an inDateRange filter ['YYYY-MM-DD', 'YYYY-MM-DD'] on each of its members; each goes to the tiles of its own cube.",
})
export class DashboardPeriodType {
  @Field({ description: "What a screen calls it: 'Completed'." })
  title!: string;

  @Field({ description: 'What it keeps, in a sentence.' })
  description!: string;

  @Field(() => [String], { description: "Its time dimensions, at most one per cube: 'CourseProgress.completedDate'." })
  members!: string[];
}

@ObjectType('Dashboard')
export class DashboardResult extends Versioned {
  @Field()
  id!: string;

  @Field()
  title!: string;

  @Field()
  description!: string;

  @Field(() => [String], { description: 'The members the dashboard can be filtered by.' })
  filters!: string[];

  @Field({ description: 'What to show when the organisation has loaded nothing these tiles read.' })
  emptyState!: string;

  @Field(() => [DashboardPeriodType], { description: "The date ranges it can be cut by; their members are among `filters`." })
  periods!: DashboardPeriodType[];

  @Field(() => [DashboardTileResult])
  tiles!: DashboardTileResult[];
}

@ObjectType('MemberMeta')
export class MemberMetaType {
  @Field({ description: "'Cube.member'." })
  name!: string;

  @Field()
  title!: string;

  @Field()
  description!: string;

  @Field(() => MemberTypeEnum)
  type!: string;

  @Field(() => ColumnFormatEnum, { nullable: true })
  format?: string;

  @Field(() => [GranularityEnum], { nullable: true, description: 'For a time dimension: the grains it can be grouped by.' })
  granularities?: string[];

  @Field(() => [DimensionValueType], { nullable: true, description: 'For a coded dimension: its values in legend order, with labels and tones.' })
  values?: readonly DimensionValueType[];
}

@ObjectType('RollupMeta', { description: "A rollup: the cube's rows grouped by these members, kept as a table of each published version." })
export class RollupMetaType {
  @Field({ description: "'Cube.rollup', as an answer's `rollup` names it." })
  name!: string;

  @Field(() => [String])
  measures!: string[];

  @Field(() => [String])
  dimensions!: string[];

  @Field(() => String, { nullable: true, description: 'The date it keeps, if any.' })
  timeDimension?: string | null;

  @Field(() => GranularityEnum, { nullable: true, description: 'The grain it keeps the date at (day, or month).' })
  granularity?: string | null;
}

@ObjectType('CubeMeta')
export class CubeMetaType {
  @Field()
  name!: string;

  @Field()
  title!: string;

  @Field()
  description!: string;

  @Field(() => [MemberMetaType])
  measures!: MemberMetaType[];

  @Field(() => [MemberMetaType])
  dimensions!: MemberMetaType[];

  @Field(() => [String], { description: 'Cubes whose dimensions a query over this cube may also use.' })
  joins!: string[];

  @Field(() => [RollupMetaType], { description: 'Pre-aggregations built with each published version; a query they answer exactly reads one.' })
  rollups!: RollupMetaType[];
}

@ObjectType('DashboardSummary')
export class DashboardSummary {
  @Field()
  id!: string;

  @Field()
  title!: string;

  @Field()
  description!: string;

  @Field(() => [String])
  tiles!: string[];
}

@ObjectType('AnalyticsMeta', { description: 'What the caller may query: the cubes with their measures and dimensions, and the dashboards of their role.' })
export class AnalyticsMeta {
  @Field(() => [CubeMetaType])
  cubes!: CubeMetaType[];

  @Field(() => [GranularityEnum])
  granularities!: string[];

  @Field(() => [FilterOperatorEnum])
  filterOperators!: string[];

  @Field(() => [DashboardSummary])
  dashboards!: DashboardSummary[];
}

@ObjectType('Organisation', { description: 'An organisation of the LMS hierarchy (from the published data) with learners the caller may see in it or below it.' })
export class OrganisationType {
  @Field(() => Int, { description: 'Its LMS id.' })
  id!: number;

  @Field({
    description:
      "Its name as the dashboards give it (`Learner.organisationName`): the LMS name, with its parent's in brackets where another organisation has the same name ('Payroll (Finance South)'), or its LMS id where that is shared too.",
  })
  name!: string;

  @Field({ description: "Its LMS ids from the top ('/1/5/9'); filter `Learner.organisationTree` with contains '/<id>/' to take it and everything under it." })
  path!: string;

  @Field(() => Int, { description: 'How deep it sits (1 at the top).' })
  depth!: number;

  @Field(() => Int, { description: "The caller's learners whose own organisation this is; 0 for one with learners only below it." })
  learners!: number;

  @Field({
    description:
      "Within the caller's reach, so a filter may offer it: always for an org admin; for a viewer, an organisation granted to them or below one; for a manager, one their reports sit in, or one above some of their reports but not all. False for one listed only as the heading of those below it (the company above a viewer's grant, or above all of a manager's reports): filtering by it would show only the caller's part under its name.",
  })
  selectable!: boolean;
}
