import type { Row } from '@kineo/warehouse';
import {
  AnalyticsQueryError,
  dayPeriods,
  edgeDays,
  periodsOfDaysStatement,
  seriesEdges,
  type AnalyticsFilter,
  type Granularity,
  compileDrill,
  compileQuery,
  dashboardQueries,
  DASHBOARDS,
  TABLE_PAGE_SIZE,
  goldColumnsOfQuery,
  goldColumnsRead,
  goldColumnsRecord,
  recordedGoldColumns,
  missingGoldColumns,
  publishedGoldColumns,
  type AnalyticsQuery,
  type AnalyticsScope,
  type DrillRequest,
} from '../src';
import { CUBES } from '../src/model';
import { AS_OF, buildGoldTenant, dialect, type GoldTenant } from './gold-tenant';

const TENANT: AnalyticsScope = { kind: 'tenant' };
const options = { asOf: AS_OF };

/** Rows compared as sets: floats rounded so an independent SQL's arithmetic order does not matter. */
function normalise(rows: Row[]): string[] {
  const round = (v: unknown) => (typeof v === 'number' && !Number.isInteger(v) ? Math.round(v * 1e9) / 1e9 : v);
  return rows
    .map((r) =>
      JSON.stringify(
        Object.keys(r)
          .sort()
          .map((k) => [k, round(r[k])]),
      ),
    )
    .sort();
}

function tileQuery(dashboard: string, tile: string, filters: AnalyticsQuery['filters'] = []): AnalyticsQuery {
  const found = dashboardQueries(dashboard, filters).find((t) => t.tile.id === tile);
  if (!found) throw new Error(`no tile ${dashboard}/${tile}`);
  return found.query;
}

// Independent answers: SQL over the gold tables written here, not produced by the compiler.
const ACTIVE = 'join gold.dim_user u on u.user_key = f.user_key and u.is_active';
const asOfPlus = (days: number) => `date '${AS_OF}' + interval ${days} day`;
/** The last day of "the next N days": the as-of day and the N - 1 days after it, as the Next 30 days period (today and the 29 after). */
const lastOfNext = (days: number) => asOfPlus(days - 1);

describe('analytics over a generated tenant (DuckDB, published gold)', () => {
  let gold: GoldTenant;
  const run = (query: AnalyticsQuery, scope: AnalyticsScope = TENANT) => gold.run(compileQuery(query, scope, dialect, options));

  beforeAll(async () => {
    gold = await buildGoldTenant();
  });

  afterAll(async () => {
    await gold?.close();
  });

  it('every gold column the model reads is one a build of this release publishes, the history year end basis among them', async () => {
    const read = goldColumnsRead();
    expect(read.get('fact_course_history')).toContain('year_end_basis');
    expect(read.get('dim_user')).toEqual(expect.arrayContaining(['user_key', 'organisation_key', 'manager_user_key']));
    // A column the derivation invented would have every tenant rebuilt at each start of the worker.
    const published = await publishedGoldColumns(gold.warehouse, gold.tenant, 1, read.keys());
    expect(missingGoldColumns(read, published)).toEqual([]);
    expect(missingGoldColumns(new Map([['fact_course_history', ['year_end_basis', 'no_such_column']], ['no_such_table', ['x']]]), published)).toEqual([
      'fact_course_history.no_such_column',
      'no_such_table.x',
    ]);
    // As recorded in Postgres and read back, the same verdicts; a record missing a table this release
    // reads (written by a release that did not read it) is no answer, so the version is read again.
    const record = goldColumnsRecord(published, [...read.keys(), 'no_such_table']);
    expect(record.no_such_table).toBeNull();
    expect(record.fact_course_history).toEqual([...published.get('fact_course_history')!].sort());
    const fromRecord = recordedGoldColumns(JSON.parse(JSON.stringify(record)) as typeof record, read.keys())!;
    expect(missingGoldColumns(read, fromRecord)).toEqual([]);
    expect(missingGoldColumns(new Map([['fact_course_history', ['year_end_basis', 'no_such_column']]]), fromRecord)).toEqual(['fact_course_history.no_such_column']);
    const { fact_course_history: _dropped, ...older } = record;
    expect(recordedGoldColumns(older, read.keys())).toBeUndefined();
    expect(recordedGoldColumns(null, read.keys())).toBeUndefined();
  });

  describe("the period of a time series the data's as_of falls inside", () => {
    // The tenant's fiscal year starts in July: FY2025 runs from 1 July 2024 to 30 June 2025.
    const series = (granularity: Granularity, filters: AnalyticsFilter[] = []): AnalyticsQuery => ({
      measures: ['CourseProgress.completed'],
      timeDimension: { dimension: 'CourseProgress.completedDate', granularity },
      filters,
    });
    const edges = async (query: AnalyticsQuery, asOf: string) => seriesEdges(query, asOf, dayPeriods(await gold.run(periodsOfDaysStatement(edgeDays(query, asOf)))));
    const all: Granularity[] = ['day', 'week', 'month', 'quarter', 'year', 'fiscalYear', 'fiscalQuarter'];
    const marks = async (asOf: string) => Object.fromEntries(await Promise.all(all.map(async (g) => [g, (await edges(series(g), asOf)).partialPeriod?.value ?? null])));

    it("is each period still running on the data's last day, valued as the series' rows are", async () => {
      // As of 30 June at midnight: the data runs through Sunday 29 June, so its week is whole and
      // June, the second quarter, 2025, FY2025 and its fourth quarter are not.
      expect(await marks(`${AS_OF}T00:00:00.000Z`)).toEqual({
        day: null,
        week: null,
        month: '2025-06-01',
        quarter: '2025-04-01',
        year: 2025,
        fiscalYear: 2025,
        fiscalQuarter: 'FY2025 Q4',
      });
      const rows = await run(series('month'));
      expect(rows.map((r) => r['CourseProgress.completedDate.month'])).toContain('2025-06-01');
      const fiscal = await run(series('fiscalQuarter'));
      expect(fiscal.map((r) => r['CourseProgress.completedDate.fiscalQuarter'])).toContain('FY2025 Q4');
    });

    it('is the period a chosen range ends inside, before the data ends, and the one it starts inside, at the other end', async () => {
      const asOf = `${AS_OF}T00:00:00.000Z`;
      // "Completed" from 8 December 2024 to 15 June 2025: December and June hold part of their days.
      const range: AnalyticsFilter[] = [{ member: 'CourseProgress.completedDate', operator: 'inDateRange', values: ['2024-12-08', '2025-06-15'] }];
      expect(await edges(series('month', range), asOf)).toEqual({
        partialPeriod: { column: 'CourseProgress.completedDate.month', value: '2025-06-01', through: '2025-06-15', reason: 'range' },
        partialStart: { column: 'CourseProgress.completedDate.month', value: '2024-12-01', from: '2024-12-08' },
      });
      // The same days as open ends (afterDate and beforeDate leave their own day out); by fiscal
      // quarter (FY2025 Q2 is October to December 2024), and by day, where no day is split.
      const open: AnalyticsFilter[] = [
        { member: 'CourseProgress.completedDate', operator: 'afterDate', values: ['2024-12-07'] },
        { member: 'CourseProgress.completedDate', operator: 'beforeDate', values: ['2025-06-16'] },
      ];
      expect(await edges(series('month', open), asOf)).toEqual(await edges(series('month', range), asOf));
      expect(await edges(series('fiscalQuarter', range), asOf)).toEqual({
        partialPeriod: { column: 'CourseProgress.completedDate.fiscalQuarter', value: 'FY2025 Q4', through: '2025-06-15', reason: 'range' },
        partialStart: { column: 'CourseProgress.completedDate.fiscalQuarter', value: 'FY2025 Q2', from: '2024-12-08' },
      });
      expect(await edges(series('day', range), asOf)).toEqual({ partialPeriod: null, partialStart: null });
      // A range of whole months marks nothing; one ending after the data ends marks the month the data ends in.
      const whole: AnalyticsFilter[] = [{ member: 'CourseProgress.completedDate', operator: 'inDateRange', values: ['2024-07-01', '2025-05-31'] }];
      expect(await edges(series('month', whole), asOf)).toEqual({ partialPeriod: null, partialStart: null });
      const later: AnalyticsFilter[] = [{ member: 'CourseProgress.completedDate', operator: 'inDateRange', values: ['2024-07-01', '2025-12-31'] }];
      expect((await edges(series('month', later), asOf)).partialPeriod).toEqual({ column: 'CourseProgress.completedDate.month', value: '2025-06-01', through: '2025-06-29', reason: 'asOf' });
      // The rows of the series hold both marked months.
      const months = (await run(series('month', range))).map((r) => r['CourseProgress.completedDate.month']);
      expect(months).toContain('2024-12-01');
      expect(months).toContain('2025-06-01');
    });

    it('is none for a period the as_of ends exactly, and the as_of day itself when the as_of is inside it', async () => {
      // Through Monday 30 June: June, the quarter and the fiscal year are whole; that week and the calendar year are not.
      expect(await marks('2025-07-01T00:00:00.000Z')).toEqual({ day: null, week: '2025-06-30', month: null, quarter: null, year: 2025, fiscalYear: null, fiscalQuarter: null });
      // Midday on Wednesday 2 July: that day is part-way through, and so is everything holding it.
      expect(await marks('2025-07-02T12:00:00.000Z')).toEqual({
        day: '2025-07-02',
        week: '2025-06-30',
        month: '2025-07-01',
        quarter: '2025-07-01',
        year: 2025,
        fiscalYear: 2026,
        fiscalQuarter: 'FY2026 Q1',
      });
    });
  });

  it("the derived gold columns hold what subquery joins (My team's per-learner totals) and the manager and viewer scopes read, and each subquery runs on exactly the columns it declares", async () => {
    const read = goldColumnsRead();
    expect(read.get('dim_manager_relationship')).toEqual(['manager_user_key', 'relationship', 'user_key']);
    expect(read.get('fact_program_progress')).toEqual(expect.arrayContaining(['is_user_active', 'due_date_key', 'is_overdue']));
    expect(read.get('fact_certification_progress')).toEqual(expect.arrayContaining(['is_compliant', 'expires_date_key', 'state']));
    // A query's own list follows its scope: the manager's relationship table only with a manager scope.
    const team = tileQuery('my-team', 'reports');
    expect(goldColumnsOfQuery(team).get('dim_manager_relationship')).toBeUndefined();
    expect(goldColumnsOfQuery(team, { kind: 'manager', managerUserId: 1, reach: 'all' }).get('dim_manager_relationship')).toEqual(['manager_user_key', 'relationship', 'user_key']);
    expect(goldColumnsOfQuery(team).get('fact_program_progress')).toEqual(expect.arrayContaining(['due_date_key']));
    // Each subquery over views of its tables holding only the declared columns: reading one more is a binder error.
    const subqueries = Object.values(CUBES.get('Learner')!.nodes).filter((node) => 'reads' in node);
    expect(subqueries.length).toBeGreaterThanOrEqual(3);
    for (const node of subqueries) {
      const ctes = Object.entries(node.reads).map(([table, columns]) => `declared_${table} as (select ${columns.join(', ')} from gold.${table})`);
      const sql = node.table({ param: () => '0', asOfKey: () => '20250630', gold: (table) => `declared_${table}` });
      await expect(gold.run({ sql: `with ${ctes.join(', ')} select * from ${sql} t limit 1`, params: [] })).resolves.toBeDefined();
    }
  });

  describe('dashboards give the numbers SQL written independently gives', () => {
    const cases: { dashboard: string; tile: string; expected: string }[] = [
      {
        dashboard: 'course-completion',
        tile: 'summary',
        expected: `select count(*) as "CourseProgress.count", count(*) filter (where f.status in ('complete', 'complete_rpl')) as "CourseProgress.completed",
          count(*) filter (where f.status in ('complete', 'complete_rpl')) / count(*) as "CourseProgress.completionRate",
          avg(f.days_to_complete) as "CourseProgress.averageDaysToComplete", count(distinct f.user_key) as "CourseProgress.learners"
          from gold.fact_course_progress f ${ACTIVE}`,
      },
      {
        dashboard: 'course-completion',
        tile: 'by-organisation',
        // One row per organisation, each named by its label (two of one name are never summed as one).
        expected: `select o.label as "Learner.organisationName", count(*) filter (where f.is_complete) / count(*) as "CourseProgress.completionRate",
          count(*) filter (where f.is_complete) as "CourseProgress.completed", count(*) as "CourseProgress.count"
          from gold.fact_course_progress f ${ACTIVE} join gold.dim_organisation o on o.organisation_key = u.organisation_key group by o.organisation_key, o.label`,
      },
      {
        dashboard: 'course-completion',
        tile: 'completions-by-month',
        expected: `select strftime(f.completed_at, '%Y-%m-01') as "CourseProgress.completedDate.month", count(*) filter (where f.is_complete) as "CourseProgress.completed"
          from gold.fact_course_progress f ${ACTIVE} where f.completed_at is not null group by 1`,
      },
      {
        dashboard: 'certification-compliance',
        tile: 'summary',
        expected: `select count(*) as "Certification.count", count(*) filter (where f.completed_at is not null and f.expires_at > timestamp '${AS_OF}') as "Certification.compliant",
          count(*) filter (where f.completed_at is not null and f.expires_at > timestamp '${AS_OF}') / count(*) as "Certification.complianceRate",
          count(*) filter (where f.rag = 'red' and f.state <> 'expired') as "Certification.overdue",
          count(*) filter (where f.state = 'expired') as "Certification.expired", count(*) filter (where f.state = 'window_open') as "Certification.windowOpen",
          count(*) filter (where f.is_compliant and cast(f.expires_at as date) <= ${lastOfNext(30)}) as "Certification.expiringIn30Days",
          count(*) filter (where f.is_compliant and cast(f.expires_at as date) <= ${lastOfNext(60)}) as "Certification.expiringIn60Days",
          count(*) filter (where f.is_compliant and cast(f.expires_at as date) <= ${lastOfNext(90)}) as "Certification.expiringIn90Days"
          from gold.fact_certification_progress f ${ACTIVE}`,
      },
      {
        dashboard: 'certification-compliance',
        tile: 'by-rag',
        expected: `select f.rag as "Certification.rag", count(*) as "Certification.count" from gold.fact_certification_progress f ${ACTIVE} group by 1`,
      },
      {
        dashboard: 'certification-compliance',
        tile: 'by-state',
        expected: `select f.state as "Certification.state", count(*) as "Certification.count" from gold.fact_certification_progress f ${ACTIVE} group by 1`,
      },
      {
        dashboard: 'program-progress',
        tile: 'summary',
        expected: `select count(*) as "ProgramProgress.count", count(*) filter (where f.status = 'complete') as "ProgramProgress.completed",
          count(*) filter (where f.status = 'complete') / count(*) as "ProgramProgress.completionRate",
          count(*) filter (where f.status <> 'complete' and f.due_at < timestamp '${AS_OF}') as "ProgramProgress.overdue",
          count(*) filter (where f.status <> 'complete' and cast(f.due_at as date) between date '${AS_OF}' and ${lastOfNext(30)}) as "ProgramProgress.dueIn30Days"
          from gold.fact_program_progress f ${ACTIVE}`,
      },
      {
        dashboard: 'program-progress',
        tile: 'by-program',
        expected: `select p.label as "ProgramProgress.programName", count(*) filter (where f.is_overdue) as "ProgramProgress.overdue",
          count(*) filter (where not f.is_complete and cast(f.due_at as date) between date '${AS_OF}' and ${lastOfNext(30)}) as "ProgramProgress.dueIn30Days"
          from gold.fact_program_progress f ${ACTIVE} join gold.dim_program p on p.program_key = f.program_key group by p.program_key, p.label`,
      },
      {
        dashboard: 'learning-activity',
        tile: 'scorm-summary',
        expected: `select count(*) as "Scorm.attempts", count(distinct f.user_key) as "Scorm.learners", avg(case when f.is_complete then 1 else 0 end) as "Scorm.completionRate",
          avg(case when f.passed then 1 else 0 end) as "Scorm.passRate", coalesce(sum(f.total_seconds), 0) / 3600 as "Scorm.hours"
          from gold.fact_scorm f ${ACTIVE}`,
      },
      {
        dashboard: 'learning-activity',
        tile: 'seminar-summary',
        expected: `select count(*) as "SeminarSignup.signups", count(*) filter (where f.status_code in (90, 100)) as "SeminarSignup.attended",
          count(*) filter (where f.status_code = 80) as "SeminarSignup.noShows", count(*) filter (where f.status_code in (10, 20)) as "SeminarSignup.cancellations",
          count(*) filter (where f.status_code in (90, 100)) / nullif(count(*) filter (where f.status_code in (80, 90, 100)), 0) as "SeminarSignup.attendanceRate"
          from gold.fact_seminar_signup f ${ACTIVE}`,
      },
      {
        dashboard: 'learning-activity',
        tile: 'hours-by-source',
        expected: `select f.source as "LearningTime.source", sum(f.seconds) / 3600 as "LearningTime.hours" from gold.fact_learning_time f ${ACTIVE} group by 1`,
      },
      {
        dashboard: 'fiscal-year-history',
        tile: 'courses',
        expected: `select f.fiscal_year as "CourseHistory.fiscalYear", case when f.year_end_basis = 'observed' then null else 'before the first load: completions only' end as "CourseHistory.yearEndNote",
          count(*) filter (where f.year_end_basis = 'observed' and f.status in ('complete', 'complete_rpl')) / nullif(count(*) filter (where f.year_end_basis = 'observed'), 0) as "CourseHistory.completionRate",
          count(*) filter (where f.status in ('complete', 'complete_rpl')) as "CourseHistory.completed", case when count(*) filter (where f.year_end_basis = 'observed') = 0 then null else count(*) filter (where f.year_end_basis = 'observed') end as "CourseHistory.count"
          from gold.fact_course_history f ${ACTIVE} where f.is_year_closed group by 1, 2`,
      },
      {
        dashboard: 'fiscal-year-history',
        tile: 'programs',
        expected: `select f.fiscal_year as "ProgramHistory.fiscalYear", case when f.year_end_basis = 'observed' then null else 'before the first load: completions only' end as "ProgramHistory.yearEndNote",
          avg(case when f.is_complete then 1 else 0 end) filter (where f.year_end_basis = 'observed') as "ProgramHistory.completionRate",
          avg(case when f.is_overdue then 1 else 0 end) filter (where f.year_end_basis = 'observed') as "ProgramHistory.overdueRate", case when count(*) filter (where f.year_end_basis = 'observed') = 0 then null else count(*) filter (where f.year_end_basis = 'observed' and f.is_overdue) end as "ProgramHistory.overdue", case when count(*) filter (where f.year_end_basis = 'observed') = 0 then null else count(*) filter (where f.year_end_basis = 'observed') end as "ProgramHistory.count"
          from gold.fact_program_history f ${ACTIVE} where f.is_year_closed group by 1, 2`,
      },
      {
        dashboard: 'fiscal-year-history',
        tile: 'certifications',
        expected: `select f.fiscal_year as "CertificationHistory.fiscalYear", case when f.year_end_basis = 'observed' then null else 'before the first load: completions only' end as "CertificationHistory.yearEndNote",
          avg(case when f.is_compliant then 1 else 0 end) filter (where f.year_end_basis = 'observed') as "CertificationHistory.complianceRate",
          case when count(*) filter (where f.year_end_basis = 'observed') = 0 then null else count(*) filter (where f.year_end_basis = 'observed' and f.is_overdue) end as "CertificationHistory.overdue", case when count(*) filter (where f.year_end_basis = 'observed') = 0 then null else count(*) filter (where f.year_end_basis = 'observed' and f.state = 'expired') end as "CertificationHistory.expired", case when count(*) filter (where f.year_end_basis = 'observed') = 0 then null else count(*) filter (where f.year_end_basis = 'observed') end as "CertificationHistory.count"
          from gold.fact_certification_history f ${ACTIVE} where f.is_year_closed group by 1, 2`,
      },
    ];

    it.each(cases)('$dashboard / $tile', async ({ dashboard, tile, expected }) => {
      const actual = await run(tileQuery(dashboard, tile));
      const independent = await gold.sql(expected);
      expect(actual.length).toBeGreaterThan(0);
      expect(normalise(actual)).toEqual(normalise(independent));
    });

    it('"Due in 30 days" and "Expiring in 30/90 days" count the days the "Next 30/90 days" periods keep: the as-of day and the 29 (89) days after it', async () => {
      // The presets' days, as the portal's periodRange gives them for "today" = the build's day.
      const nextDays = (n: number) => [AS_OF, new Date(Date.parse(`${AS_OF}T00:00:00Z`) + (n - 1) * 86_400_000).toISOString().slice(0, 10)];
      const active = { member: 'Learner.isActive', operator: 'equals' as const, values: [true] };
      const figures: [string, string, number][] = [
        ['ProgramProgress.dueIn30Days', 'ProgramProgress.dueDate', 30],
        ['Certification.expiringIn30Days', 'Certification.expiresDate', 30],
        ['Certification.expiringIn90Days', 'Certification.expiresDate', 90],
      ];
      for (const [measure, date, n] of figures) {
        const [whole] = await run({ measures: [measure], filters: [active] });
        const [inPeriod] = await run({ measures: [measure], filters: [active, { member: date, operator: 'inDateRange', values: nextDays(n) }] });
        expect([measure, Number(inPeriod[measure])]).toEqual([measure, Number(whole[measure])]);
      }
      // Counted independently over the same days: due (or expiring) on or after the as-of day, no later than its 29th (89th) day after.
      const [counted] = await gold.sql(
        `select count(*) filter (where not f.is_complete and cast(f.due_at as date) between date '${AS_OF}' and ${lastOfNext(30)}) as due
         from gold.fact_program_progress f ${ACTIVE}`,
      );
      const [expiring] = await gold.sql(
        `select count(*) filter (where f.is_compliant and cast(f.expires_at as date) between date '${AS_OF}' and ${lastOfNext(30)}) as in30,
           count(*) filter (where f.is_compliant and cast(f.expires_at as date) between date '${AS_OF}' and ${lastOfNext(90)}) as in90
         from gold.fact_certification_progress f ${ACTIVE}`,
      );
      const answers = await Promise.all(figures.map(async ([m]) => Number((await run({ measures: [m], filters: [active] }))[0][m])));
      expect(answers).toEqual([counted.due, expiring.in30, expiring.in90].map(Number));
      expect(Number(counted.due) + Number(expiring.in30)).toBeGreaterThan(0);
    });

    it('the fiscal-year history has closed years to show (the generated tenant has three years)', async () => {
      const rows = await run(tileQuery('fiscal-year-history', 'courses'));
      expect(rows.map((r) => r['CourseHistory.fiscalYear'])).toEqual([2023, 2024]);
    });

    it('years that ended before the first load show their completions, no rates, and say why', async () => {
      // The generated tenant is built once, in FY2025: FY2023 and FY2024 are reconstructed from completion dates.
      const rows = await run(tileQuery('fiscal-year-history', 'courses'));
      const completed = await gold.sql(
        `select f.fiscal_year, count(*) as n from gold.fact_course_history f ${ACTIVE} where f.is_year_closed and f.status in ('complete', 'complete_rpl') group by 1 order by 1`,
      );
      expect(rows.map((r) => [r['CourseHistory.fiscalYear'], r['CourseHistory.completionRate'], r['CourseHistory.yearEndNote'], Number(r['CourseHistory.completed'])])).toEqual(
        completed.map((c) => [c.fiscal_year, null, 'before the first load: completions only', Number(c.n)]),
      );
      const [current] = await run({ measures: ['CourseHistory.completionRate'], dimensions: ['CourseHistory.yearEndNote'], filters: [{ member: 'CourseHistory.isYearClosed', operator: 'equals', values: [false] }] });
      expect(current['CourseHistory.yearEndNote']).toBeNull();
      expect(current['CourseHistory.completionRate']).toEqual(expect.any(Number));
    });

    it('years that ended before the first load show no enrolments, assignments, learners, overdue, expired or compliant counts ("—", not 0 nor their completions)', async () => {
      const closed = [{ member: 'CourseHistory.isYearClosed', operator: 'equals' as const, values: [true] }];
      const courses = await run({ measures: ['CourseHistory.count', 'CourseHistory.completed'], dimensions: ['CourseHistory.fiscalYear'], filters: closed });
      expect(courses.length).toBeGreaterThan(0);
      for (const r of courses) expect([r['CourseHistory.count'], Number(r['CourseHistory.completed']) > 0]).toEqual([null, true]);
      for (const [cube, measures] of [
        ['CourseHistory', ['count', 'learners']],
        ['ProgramHistory', ['count', 'overdue', 'learners']],
        ['CertificationHistory', ['count', 'overdue', 'expired', 'compliant', 'learners']],
        ['CourseToCertHistory', ['count', 'learners']],
      ] as const) {
        const rows = await run({
          measures: [...measures].map((m) => `${cube}.${m}`),
          dimensions: [`${cube}.fiscalYear`],
          filters: [{ member: `${cube}.isYearClosed`, operator: 'equals', values: [true] }],
        });
        expect(rows.length).toBeGreaterThan(0);
        for (const r of rows) for (const m of measures) expect([cube, r[`${cube}.fiscalYear`], m, r[`${cube}.${m}`]]).toEqual([cube, r[`${cube}.fiscalYear`], m, null]);
      }
    });

    it('the current year, observed by a load, counts every record; over all years only the observed ones count', async () => {
      const expected = await gold.sql(
        `select f.is_year_closed, count(*) filter (where f.year_end_basis = 'observed') as n, count(*) filter (where f.year_end_basis = 'observed' and f.is_overdue) as overdue,
           count(*) filter (where f.year_end_basis = 'observed' and f.state = 'expired') as expired, count(*) filter (where f.year_end_basis = 'observed' and f.is_compliant) as compliant
         from gold.fact_certification_history f ${ACTIVE} group by rollup (1) order by 1 nulls last`,
      );
      const asked = {
        measures: ['CertificationHistory.count', 'CertificationHistory.overdue', 'CertificationHistory.expired', 'CertificationHistory.compliant'],
        filters: [{ member: 'Learner.isActive', operator: 'equals' as const, values: [true] }],
      };
      const counts = (r: Record<string, unknown>) => asked.measures.map((m) => (r[m] === null ? null : Number(r[m])));
      const byClosed = await run({ ...asked, dimensions: ['CertificationHistory.isYearClosed'], order: [{ member: 'CertificationHistory.isYearClosed', direction: 'asc' }] });
      const [all] = await run(asked);
      const current = expected.find((r) => r.is_year_closed === false)!;
      expect(Number(current.n)).toBeGreaterThan(0);
      expect(byClosed.map(counts)).toEqual([counts(byClosed[0]), [null, null, null, null]]);
      expect(counts(byClosed[0])).toEqual([current.n, current.overdue, current.expired, current.compliant].map(Number));
      const [learners] = await gold.sql(
        `select count(distinct f.user_key) as n from gold.fact_certification_history f ${ACTIVE} where f.year_end_basis = 'observed' and f.user_key <> -1`,
      );
      expect(Number((await run({ measures: ['CertificationHistory.learners'], filters: asked.filters }))[0]['CertificationHistory.learners'])).toBe(Number(learners.n));
      const total = expected.find((r) => r.is_year_closed === null)!;
      expect(counts(all)).toEqual([total.n, total.overdue, total.expired, total.compliant].map(Number));
    });

    it("my team: each of a manager's reports with their overdue, expiring and completed items", async () => {
      const manager = await busiestManager();
      const scope: AnalyticsScope = { kind: 'manager', managerUserId: manager, reach: 'all' };
      const actual = await run(tileQuery('my-team', 'reports'), scope);
      const expected = await gold.sql(
        `select u.user_id, u.label,
           (select count(*) from gold.fact_program_progress p where p.user_key = u.user_key and p.is_overdue)
             + (select count(*) from gold.fact_certification_progress c where c.user_key = u.user_key and c.is_overdue) as overdue,
           (select count(*) from gold.fact_certification_progress c where c.user_key = u.user_key and c.is_compliant and cast(c.expires_at as date) <= ${lastOfNext(30)}) as expiring,
           (select count(*) from gold.fact_course_progress p where p.user_key = u.user_key and p.is_complete)
             + (select count(*) from gold.fact_program_progress p where p.user_key = u.user_key and p.is_complete)
             + (select count(*) from gold.fact_certification_progress c where c.user_key = u.user_key and c.completed_at is not null) as completed
         from gold.dim_manager_relationship r join gold.dim_user u on u.user_key = r.user_key
         where r.manager_user_key = ? and r.relationship <> 'self' and u.is_active`,
        [manager],
      );
      expect(actual.length).toBe(expected.length);
      expect(actual.length).toBeGreaterThan(5);
      const pick = (r: Row, keys: string[]) => keys.map((k) => r[k]);
      expect(actual.map((r) => pick(r, ['Learner.userId', 'Learner.fullName', 'Learner.overdueItems', 'Learner.expiringCertifications', 'Learner.completedItems'])).sort()).toEqual(
        // A report's name as dim_user labels it: their username beside it where another user shares the name.
        expected.map((r) => pick(r, ['user_id', 'label', 'overdue', 'expiring', 'completed'])).sort(),
      );
      // Worst first: the table is ordered by overdue items.
      const overdue = actual.map((r) => r['Learner.overdueItems'] as number);
      expect(overdue).toEqual([...overdue].sort((a, b) => b - a));
      expect(overdue.some((n) => n > 0)).toBe(true);
    });

    it('a dashboard filter narrows every tile it applies to, and active learners are the default', async () => {
      const queries = dashboardQueries('course-completion', [{ member: 'CourseProgress.courseType', operator: 'equals', values: ['seminar'] }]);
      const summary = queries.find((q) => q.tile.id === 'summary')!.query;
      expect(summary.filters).toEqual([
        { member: 'Learner.isActive', operator: 'equals', values: [true] },
        { member: 'CourseProgress.courseType', operator: 'equals', values: ['seminar'] },
      ]);
      const [row] = await run(summary);
      const [expected] = await gold.sql(
        `select count(*) as n from gold.fact_course_progress f ${ACTIVE} join gold.dim_course c on c.course_key = f.course_key where c.course_type = 'seminar'`,
      );
      expect(row['CourseProgress.count']).toBe(expected.n);

      const everyone = dashboardQueries('course-completion', [{ member: 'Learner.isActive', operator: 'in', values: [true, false] }]);
      const [all] = await run(everyone.find((q) => q.tile.id === 'summary')!.query);
      const [total] = await gold.sql('select count(*) as n from gold.fact_course_progress f join gold.dim_user u on u.user_key = f.user_key where u.user_key <> -1');
      expect(all['CourseProgress.count']).toBe(total.n);
    });

    it('grouping by Learner keeps two people of one name apart: a row each, with its own figures, each named so it can be told apart', async () => {
      const [namesake] = await gold.sql(
        `select u.full_name from gold.dim_user u join gold.fact_course_progress f on f.user_key = u.user_key
         where u.user_key <> -1 group by u.full_name having count(distinct u.user_key) > 1 order by u.full_name limit 1`,
      );
      expect(namesake).toBeDefined();
      const rows = await run({
        measures: ['CourseProgress.count'],
        dimensions: ['Learner.fullName'],
        filters: [{ member: 'Learner.fullName', operator: 'contains', values: [String(namesake.full_name)] }],
        limit: 100,
      });
      const expected = await gold.sql(
        `select u.label, count(*) as n from gold.fact_course_progress f join gold.dim_user u on u.user_key = f.user_key
         where u.full_name = ? group by u.label order by u.label`,
        [String(namesake.full_name)],
      );
      expect(expected.length).toBeGreaterThan(1);
      const named = rows.filter((r) => expected.some((e) => e.label === r['Learner.fullName']));
      expect(named.map((r) => [r['Learner.fullName'], r['CourseProgress.count']]).sort()).toEqual(expected.map((e) => [e.label, e.n]).sort());
      expect(new Set(named.map((r) => r['Learner.fullName'])).size).toBe(expected.length);
    });

    it("the Manager filter takes one manager's learners by the name it lists, even where another user has that manager's name", async () => {
      // The filter's values: one per manager (the learners' managers as at the build), each their label.
      const listed = await run({ measures: ['Learner.count'], dimensions: ['Learner.managerName'], order: [{ member: 'Learner.managerName', direction: 'asc' }], limit: 500 });
      const managers = await gold.sql(
        `select m.user_key, m.label, count(*) as n from gold.dim_user u join gold.dim_user m on m.user_key = u.manager_user_key
         where u.user_key <> -1 and m.user_key <> -1 group by m.user_key, m.label order by m.label`,
      );
      expect(managers.length).toBeGreaterThan(5);
      expect(listed.filter((r) => r['Learner.managerName'] !== 'Unknown').map((r) => [r['Learner.managerName'], r['Learner.count']])).toEqual(
        managers.map((m) => [m.label, m.n]),
      );
      // A label names one user: a namesake gets their username (or id) beside the name.
      const [namesakes] = await gold.sql('select count(*) as n from gold.dim_user group by full_name order by n desc limit 1');
      expect(namesakes.n).toBeGreaterThan(1);
      const [labels] = await gold.sql('select count(distinct label) as labels, count(*) as users from gold.dim_user');
      expect(labels.labels).toBe(labels.users);
      for (const m of managers) {
        const filtered = await run({ measures: ['Learner.count'], dimensions: ['Learner.userId'], filters: [{ member: 'Learner.managerName', operator: 'equals', values: [String(m.label)] }], limit: 500 });
        const expected = await gold.sql('select user_id from gold.dim_user where manager_user_key = ? and user_key <> -1 order by 1', [Number(m.user_key)]);
        expect(filtered.map((r) => r['Learner.userId']).sort((a, b) => Number(a) - Number(b))).toEqual(expected.map((r) => r.user_id));
      }
    });
  });

  describe('scope', () => {
    const learnersOf = async (scope: AnalyticsScope) =>
      (await run({ measures: ['Learner.count'], dimensions: ['Learner.userId'], limit: 50000 }, scope)).map((r) => r['Learner.userId'] as number).sort((a, b) => a - b);

    it('a manager sees exactly their reports in dim_manager_relationship, every level or direct only', async () => {
      const manager = await busiestManager();
      for (const [reach, relationships] of [
        ['all', `('direct', 'indirect')`],
        ['direct', `('direct')`],
      ] as const) {
        const expected = (
          await gold.sql(`select user_key from gold.dim_manager_relationship where manager_user_key = ? and relationship in ${relationships} order by 1`, [manager])
        ).map((r) => r.user_key);
        const seen = await learnersOf({ kind: 'manager', managerUserId: manager, reach });
        expect(seen).toEqual(expected);
        expect(seen).not.toContain(manager);
      }
      const all = await learnersOf({ kind: 'manager', managerUserId: manager, reach: 'all' });
      const direct = await learnersOf({ kind: 'manager', managerUserId: manager, reach: 'direct' });
      expect(all.length).toBeGreaterThan(direct.length);
    });

    it("a manager's course figures count only their reports' rows", async () => {
      const manager = await busiestManager();
      const [row] = await run({ measures: ['CourseProgress.count', 'CourseProgress.completed'] }, { kind: 'manager', managerUserId: manager, reach: 'all' });
      const [expected] = await gold.sql(
        `select count(*) as n, count(*) filter (where f.is_complete) as c from gold.fact_course_progress f
         where f.user_key in (select user_key from gold.dim_manager_relationship where manager_user_key = ? and relationship in ('direct', 'indirect'))`,
        [manager],
      );
      expect([row['CourseProgress.count'], row['CourseProgress.completed']]).toEqual([expected.n, expected.c]);
      expect(expected.n).toBeGreaterThan(0);
    });

    it('a viewer sees the learners of the organisation subtrees granted', async () => {
      const [org] = await gold.sql(
        `select o.organisation_id, o.path from gold.dim_organisation o where o.organisation_key <> -1
         and exists (select 1 from gold.dim_organisation c where c.parent_key = o.organisation_key) order by o.depth desc, o.organisation_id limit 1`,
      );
      const expected = (
        await gold.sql(
          `select u.user_key from gold.dim_user u join gold.dim_organisation o on o.organisation_key = u.organisation_key
           where o.path = ? or o.path like ? order by 1`,
          [org.path as string, `${org.path}/%`],
        )
      ).map((r) => r.user_key);
      const seen = await learnersOf({ kind: 'viewer', organisationIds: [org.organisation_id as number] });
      expect(seen).toEqual(expected);
      expect(seen.length).toBeGreaterThan(0);
    });

    it('a viewer with no organisation granted sees nothing on any dashboard', async () => {
      const scope: AnalyticsScope = { kind: 'viewer', organisationIds: [] };
      for (const dashboard of DASHBOARDS) {
        for (const { tile, query } of dashboardQueries(dashboard.id, [])) {
          const rows = await run(query, scope);
          const numbers = rows.flatMap((r) => query.measures.map((m) => r[m]));
          // A KPI still has its one row, with nothing counted in it.
          expect({ tile: `${dashboard.id}/${tile.id}`, numbers: numbers.filter((v) => v !== null && v !== 0) }).toEqual({ tile: `${dashboard.id}/${tile.id}`, numbers: [] });
        }
      }
    });

    it('every dashboard tile runs for an org admin and a manager', async () => {
      const manager = await busiestManager();
      for (const scope of [TENANT, { kind: 'manager', managerUserId: manager, reach: 'direct' } as AnalyticsScope]) {
        for (const dashboard of DASHBOARDS) {
          for (const { query } of dashboardQueries(dashboard.id, [])) await expect(run(query, scope)).resolves.toBeInstanceOf(Array);
        }
      }
    });
  });

  describe('queries', () => {
    it('an unknown member is refused with its name and what exists', () => {
      let error: unknown;
      try {
        compileQuery({ measures: ['CourseProgress.completionRat'] }, TENANT, dialect, options);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(AnalyticsQueryError);
      expect((error as AnalyticsQueryError).code).toBe('INVALID_QUERY');
      expect((error as Error).message).toContain("'CourseProgress.completionRat'");
      expect((error as Error).message).toContain('completionRate');
    });

    it.each([
      "x' or 1=1 --",
      "x'); select * from read_text('/etc/passwd'); --",
      "' union select content from read_blob('/etc/hostname') --",
      "' || getenv('HOME') || '",
      "'; set enable_external_access = true; --",
      "'; attach 'other.duckdb' as o; --",
      "x' or exists (select 1 from duckdb_settings()) --",
      "' or 1 = (select count(*) from glob('/*')) --",
    ])('a value that tries to reach SQL (%s) is only ever a value', async (value) => {
      for (const operator of ['equals', 'contains'] as const) {
        const rows = await run({ measures: ['CourseProgress.count'], filters: [{ member: 'CourseProgress.courseName', operator, values: [value] }] });
        expect(rows).toEqual([{ 'CourseProgress.count': 0 }]);
      }
    });

    it('dates filter on the date key: a date range and a fiscal year pick the same rows SQL on the dates does', async () => {
      const [range] = await run({
        measures: ['CourseProgress.completed'],
        timeDimension: { dimension: 'CourseProgress.completedDate', dateRange: ['2024-07-01', '2025-06-30'] },
      });
      const [fiscal] = await run({ measures: ['CourseProgress.completed'], timeDimension: { dimension: 'CourseProgress.completedDate', fiscalYear: 2025 } });
      const [expected] = await gold.sql(
        `select count(*) filter (where is_complete) as n from gold.fact_course_progress where cast(completed_at as date) between date '2024-07-01' and date '2025-06-30'`,
      );
      expect(range['CourseProgress.completed']).toBe(expected.n);
      expect(fiscal['CourseProgress.completed']).toBe(expected.n);
      expect(expected.n).toBeGreaterThan(0);
    });
  });

  it.each(['day', 'week', 'month', 'quarter', 'year', 'fiscalYear', 'fiscalQuarter'] as const)('completions by %s add up to every dated completion', async (granularity) => {
    const key = `CourseProgress.completedDate.${granularity}`;
    const rows = await run({ measures: ['CourseProgress.completed'], timeDimension: { dimension: 'CourseProgress.completedDate', granularity }, limit: 50000 });
    const [expected] = await gold.sql('select count(*) as n from gold.fact_course_progress where is_complete and completed_date_key <> -1');
    expect(rows.reduce((s, r) => s + (r['CourseProgress.completed'] as number), 0)).toBe(expected.n);
    expect(rows.every((r) => r[key] !== null)).toBe(true);
    const sorted = rows.map((r) => r[key] as string | number);
    expect(sorted).toEqual([...sorted].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
  });

  it("every code a coded dimension holds in a built tenant's gold is one the model labels, so a chart never shows a raw code", async () => {
    let checked = 0;
    for (const cube of CUBES.values()) {
      const first = Object.keys(cube.measures)[0]!;
      for (const [name, def] of Object.entries(cube.dimensions)) {
        if (!def.values) continue;
        const member = `${cube.name}.${name}`;
        const rows = await run({ measures: [`${cube.name}.${first}`], dimensions: [member], filters: [{ member, operator: 'set' }] });
        const unlabelled = rows.map((r) => r[member]).filter((code) => !def.values!.some((v) => v.value === code));
        expect({ member, unlabelled }).toEqual({ member, unlabelled: [] });
        checked += rows.length;
      }
    }
    expect(checked).toBeGreaterThan(20);
  });

  it('a July fiscal year is named by the year it ends in', async () => {
    const rows = await run({
      measures: ['CourseProgress.count'],
      timeDimension: { dimension: 'CourseProgress.completedDate', granularity: 'fiscalQuarter', dateRange: ['2024-07-01', '2024-09-30'] },
    });
    expect(rows.map((r) => r['CourseProgress.completedDate.fiscalQuarter'])).toEqual(['FY2025 Q1']);
  });

  describe('drill lists', () => {
    const byOrganisation: AnalyticsQuery = { measures: ['CourseProgress.count', 'CourseProgress.completed'], dimensions: ['Learner.organisationName'] };

    async function allPages(req: DrillRequest, scope: AnalyticsScope = TENANT): Promise<{ rows: Row[]; pages: number }> {
      const rows: Row[] = [];
      let after: string | undefined;
      let pages = 0;
      for (;;) {
        const drill = compileDrill({ ...req, after }, scope, dialect, options);
        const page = await gold.run(drill);
        pages += 1;
        rows.push(...page);
        if (page.length < drill.pageSize) return { rows, pages };
        after = drill.cursorOf(page[page.length - 1]);
      }
    }

    it("a cell's learners and items add up to its count, page by page in name order without overlap or gap", async () => {
      const cells = await run(byOrganisation);
      const cell = cells.reduce((a, b) => ((a['CourseProgress.count'] as number) >= (b['CourseProgress.count'] as number) ? a : b));
      const req: DrillRequest = { query: byOrganisation, cell: { 'Learner.organisationName': cell['Learner.organisationName'] as string }, pageSize: 7 };
      const { rows, pages } = await allPages(req);
      expect(rows.length).toBe(cell['CourseProgress.count']);
      expect(pages).toBeGreaterThan(2);
      const ids = rows.map((r) => r._k0);
      expect(new Set(ids).size).toBe(ids.length);
      expect(rows.every((r) => r['Learner.organisationName'] === cell['Learner.organisationName'])).toBe(true);
      const expected = await gold.sql(
        `select f.completion_id from gold.fact_course_progress f join gold.dim_user u on u.user_key = f.user_key
         join gold.dim_organisation o on o.organisation_key = u.organisation_key where o.label = ? order by coalesce(u.full_name, ''), f.completion_id`,
        [cell['Learner.organisationName'] as string],
      );
      expect(ids).toEqual(expected.map((r) => r.completion_id));

      const completed = await allPages({ ...req, measure: 'CourseProgress.completed' });
      expect(completed.rows.length).toBe(cell['CourseProgress.completed']);
      expect(completed.rows.every((r) => ['complete', 'complete_rpl'].includes(r['CourseProgress.status'] as string))).toBe(true);
    });

    it("a learner total's drill lists each learner with their own count, adding up to the figure (My team's Overdue items)", async () => {
      const manager = await busiestManager();
      const scope: AnalyticsScope = { kind: 'manager', managerUserId: manager, reach: 'all' };
      const query = tileQuery('my-team', 'summary');
      const [figures] = await run(query, scope);
      for (const measure of ['Learner.overdueItems', 'Learner.completedItems']) {
        const { rows } = await allPages({ query, cell: {}, measure, pageSize: 7 }, scope);
        const counts = rows.map((r) => r[measure] as number);
        expect({ measure, everyOne: counts.every((n) => n > 0), sum: counts.reduce((a, b) => a + b, 0) }).toEqual({ measure, everyOne: true, sum: figures[measure] });
        expect(rows.length).toBeLessThan(figures[measure] as number);
      }
      // Each learner's overdue count, against SQL written here: the manager's reports with one.
      const { rows: overdue } = await allPages({ query, cell: {}, measure: 'Learner.overdueItems', pageSize: 50 }, scope);
      const expected = await gold.sql(
        `select u.user_id, (select count(*) from gold.fact_program_progress p where p.user_key = u.user_key and p.is_overdue)
             + (select count(*) from gold.fact_certification_progress c where c.user_key = u.user_key and c.is_overdue) as overdue
         from gold.dim_manager_relationship r join gold.dim_user u on u.user_key = r.user_key
         where r.manager_user_key = ? and r.relationship <> 'self' and u.is_active`,
        [manager],
      );
      const byLearner = (pairs: [unknown, unknown][]) => pairs.map(([id, n]) => `${Number(id)}:${Number(n)}`).sort();
      expect(byLearner(overdue.map((r) => [r['Learner.userId'], r['Learner.overdueItems']]))).toEqual(
        byLearner(expected.filter((r) => Number(r.overdue) > 0).map((r) => [r.user_id, r.overdue])),
      );
    });

    it('a drill on a month of the time axis lists that month, within the caller scope', async () => {
      const manager = await busiestManager();
      const scope: AnalyticsScope = { kind: 'manager', managerUserId: manager, reach: 'all' };
      const query = tileQuery('course-completion', 'completions-by-month');
      const months = await run(query, scope);
      const month = months.find((m) => (m['CourseProgress.completed'] as number) > 1)!;
      const { rows } = await allPages(
        { query, cell: { 'CourseProgress.completedDate.month': month['CourseProgress.completedDate.month'] as string }, measure: 'CourseProgress.completed', pageSize: 2 },
        scope,
      );
      expect(rows.length).toBe(month['CourseProgress.completed']);
      const prefix = (month['CourseProgress.completedDate.month'] as string).slice(0, 7);
      expect(rows.every((r) => String(r['CourseProgress.completedDate']).startsWith(prefix))).toBe(true);
    });

    it('a drill with a multi-column key (learning time) pages through every row once', async () => {
      const query: AnalyticsQuery = { measures: ['LearningTime.hours'], dimensions: ['LearningTime.source'] };
      const [cell] = await run(query);
      const { rows } = await allPages({ query, cell: { 'LearningTime.source': cell['LearningTime.source'] as string }, pageSize: 50 });
      const keys = rows.map((r) => `${r._k0}|${r._k1}|${r._k2}`);
      expect(new Set(keys).size).toBe(keys.length);
      const hours = rows.reduce((s, r) => s + (r['LearningTime.seconds'] as number), 0) / 3600;
      expect(hours).toBeCloseTo(cell['LearningTime.hours'] as number, 6);
    });

    it("My team's overdue and expiring figures open the learners they count, not the whole team", async () => {
      const manager = await busiestManager();
      const scope: AnalyticsScope = { kind: 'manager', managerUserId: manager, reach: 'all' };
      const query = tileQuery('my-team', 'summary');
      const team = `from gold.dim_manager_relationship r join gold.dim_user u on u.user_key = r.user_key and u.is_active
         where r.manager_user_key = ? and r.relationship <> 'self'`;
      const cases = [
        {
          measure: 'Learner.overdueItems',
          having: `(exists (select 1 from gold.fact_program_progress p where p.user_key = u.user_key and p.is_overdue)
            or exists (select 1 from gold.fact_certification_progress c where c.user_key = u.user_key and c.is_overdue))`,
        },
        {
          measure: 'Learner.expiringCertifications',
          having: `exists (select 1 from gold.fact_certification_progress c where c.user_key = u.user_key and c.is_compliant and cast(c.expires_at as date) <= ${lastOfNext(30)})`,
        },
      ];
      const everyone = (await gold.sql(`select u.user_id ${team}`, [manager])).length;
      for (const { measure, having } of cases) {
        const { rows } = await allPages({ query, cell: {}, measure, pageSize: 20 }, scope);
        const expected = (await gold.sql(`select u.user_id ${team} and ${having} order by 1`, [manager])).map((r) => r.user_id);
        expect(expected.length).toBeGreaterThan(0);
        expect(expected.length).toBeLessThan(everyone);
        expect(rows.map((r) => r['Learner.userId']).sort((a, b) => Number(a) - Number(b))).toEqual(expected);
      }
    });

    it('a count of distinct learners opens each of those learners once, as many as the figure', async () => {
      const manager = await busiestManager();
      const scope: AnalyticsScope = { kind: 'manager', managerUserId: manager, reach: 'all' };
      const query = tileQuery('course-completion', 'summary');
      const [figure] = await run(query, scope);
      const { rows } = await allPages({ query, cell: {}, measure: 'CourseProgress.learners', pageSize: 25 }, scope);
      const expected = await gold.sql(
        `select distinct u.user_id from gold.fact_course_progress f ${ACTIVE}
         where f.user_key in (select user_key from gold.dim_manager_relationship where manager_user_key = ? and relationship in ('direct', 'indirect'))
         order by 1`,
        [manager],
      );
      expect(rows).toHaveLength(figure['CourseProgress.learners'] as number);
      expect(rows.map((r) => r['Learner.userId']).sort((a, b) => Number(a) - Number(b))).toEqual(expected.map((r) => r.user_id));
      expect(Object.keys(rows[0]).filter((k) => !k.startsWith('_'))).toEqual(expect.arrayContaining(['Learner.userId', 'Learner.fullName']));
      expect(Object.keys(rows[0]).some((k) => k.startsWith('CourseProgress.'))).toBe(false);
    });

    it('a viewer granted nothing drills into nothing', async () => {
      const drill = compileDrill({ query: byOrganisation, cell: {} }, { kind: 'viewer', organisationIds: [] }, dialect, options);
      expect(await gold.run(drill)).toEqual([]);
    });

    it('a forged cursor is refused', () => {
      expect(() => compileDrill({ query: byOrganisation, cell: {}, after: 'not-a-cursor' }, TENANT, dialect, options)).toThrow(/cursor/);
    });

    it('a forged cursor with values its columns cannot hold is INVALID_CURSOR, not a failure of the warehouse', async () => {
      const cursor = (values: unknown[]) => Buffer.from(JSON.stringify(values)).toString('base64url');
      const first = compileDrill({ query: byOrganisation, cell: {}, pageSize: 3 }, TENANT, dialect, options);
      const page = await gold.run(first);
      // The list's own cursor still pages on.
      const next = await gold.run(compileDrill({ query: byOrganisation, cell: {}, pageSize: 3, after: first.cursorOf(page[2]) }, TENANT, dialect, options));
      expect(next).toHaveLength(3);
      // A name then the key (a whole number): out of range, a fraction, text for the key, a number for the name.
      for (const forged of [[1e308, 'x'], ['x', 1e308], ['x', 1.5], ['x', { big: '99999999999999999999' }], ['x', 'abc'], [7, 1]]) {
        let refused: unknown;
        try {
          await gold.run(compileDrill({ query: byOrganisation, cell: {}, after: cursor(forged) }, TENANT, dialect, options));
        } catch (error) {
          refused = error;
        }
        expect(refused).toMatchObject({ code: 'INVALID_CURSOR', message: 'The drill cursor is not one this list gave out: start again from the first page.' });
      }
    });

    it("a list keyed partly by text (learning time's source) pages on its own cursor", async () => {
      const byDay: AnalyticsQuery = { measures: ['LearningTime.hours'], dimensions: [] };
      const first = compileDrill({ query: byDay, cell: {}, pageSize: 2 }, TENANT, dialect, options);
      const page = await gold.run(first);
      expect(page).toHaveLength(2);
      const next = await gold.run(compileDrill({ query: byDay, cell: {}, pageSize: 2, after: first.cursorOf(page[1]) }, TENANT, dialect, options));
      expect(next.length).toBeGreaterThan(0);
      expect(next[0]).not.toEqual(page[1]);
    });
  });

  describe('rollups (pre-aggregations built with the published version)', () => {
    const withRollups = (query: AnalyticsQuery, scope: AnalyticsScope = TENANT, asOf = AS_OF) =>
      compileQuery(query, scope, dialect, { asOf, rollups: gold.rollups });
    const facts = (query: AnalyticsQuery, scope: AnalyticsScope = TENANT) => compileQuery(query, scope, dialect, options);
    /** In order (the order is total), floats to 9 significant digits: a sum of sums rounds differently. */
    const rowsOf = (rows: Row[]) =>
      rows.map((r) => Object.entries(r).map(([k, v]) => [k, typeof v === 'number' && !Number.isInteger(v) ? Number(v.toPrecision(9)) : v]));

    async function sameAnswer(query: AnalyticsQuery, scope: AnalyticsScope = TENANT): Promise<{ rollup?: string; rows: Row[] }> {
      const fromRollup = withRollups(query, scope);
      const fromFacts = facts(query, scope);
      expect(fromFacts.rollup).toBeUndefined();
      const [a, b] = [await gold.run(fromRollup), await gold.run(fromFacts)];
      expect(rowsOf(a)).toEqual(rowsOf(b));
      expect(fromRollup.columns).toEqual(fromFacts.columns);
      if (fromRollup.rollup) {
        expect(fromRollup.sql).toMatch(/from gold\.rollup_\w+ f\b/);
        expect(fromRollup.sql).not.toMatch(/gold\.fact_/);
      } else {
        expect(fromRollup.sql).toBe(fromFacts.sql);
      }
      return { rollup: fromRollup.rollup, rows: a };
    }

    it('the build published every declared rollup, built at its as_of, in a fraction of the gold build', () => {
      expect(gold.rollups.length).toBeGreaterThan(20);
      expect(new Set(gold.rollups.map((r) => r.asOfKey))).toEqual(new Set([20250630]));
      expect(gold.rollups.every((r) => r.rows > 0)).toBe(true);
      // A figure for the docs, not a pass mark: timings vary with the machine's load.
      console.log(`rollups: ${gold.rollups.length} tables, ${gold.rollups.reduce((n, r) => n + r.rows, 0)} rows, built in ${gold.buildMs.rollups} ms; gold models ${gold.buildMs.gold} ms`);
    });

    it("every org admin's dashboard tile is answered from a rollup with the facts' numbers", async () => {
      const answeredBy: string[] = [];
      for (const dashboard of DASHBOARDS.filter((d) => d.roles.includes('org_admin'))) {
        for (const { tile, query } of dashboardQueries(dashboard.id, [])) {
          const { rollup, rows } = await sameAnswer(query);
          expect({ tile: `${dashboard.id}/${tile.id}`, rollup }).toEqual({ tile: `${dashboard.id}/${tile.id}`, rollup: expect.any(String) });
          expect(rows.length).toBeGreaterThan(0);
          answeredBy.push(rollup!);
        }
      }
      // The KPIs with distinct learners come from the rollups kept for exactly their groups.
      expect(answeredBy).toContain('CourseProgress.summary');
      expect(answeredBy).toContain('Learner.reports');
    });

    it("my team's reports read the per-learner rollup's rows without regrouping them, the facts' rows in the facts' order", async () => {
      const query = tileQuery('my-team', 'reports');
      const { rollup, rows } = await sameAnswer(query);
      expect(rollup).toBe('Learner.reports');
      expect(withRollups(query).sql).not.toMatch(/group by|sum\(/);
      const [{ n }] = await gold.sql('select count(*) as n from gold.dim_user where user_key <> -1 and is_active');
      expect(rows.length).toBe(Math.min(Number(n), 1001));
      const measureFilter = { ...query, filters: [...(query.filters ?? []), { member: 'Learner.overdueItems', operator: 'gte' as const, values: [1] }] };
      const overdue = await sameAnswer(measureFilter);
      expect(overdue.rollup).toBe('Learner.reports');
      expect(overdue.rows.length).toBeGreaterThan(0);
      expect(overdue.rows.every((r) => (r['Learner.overdueItems'] as number) >= 1)).toBe(true);
    });

    it("pages my team's whole list: its pages together are the list in order, a row past each page says another follows, and the count is every active learner", async () => {
      const { query, run: firstPage } = dashboardQueries('my-team', []).find((t) => t.tile.id === 'reports')!;
      expect(query.limit).toBeUndefined();
      const [{ n }] = await gold.sql('select count(*) as n from gold.dim_user where user_key <> -1 and is_active');
      expect(Number(n)).toBeGreaterThan(2 * TABLE_PAGE_SIZE);
      for (const compile of [withRollups, facts]) {
        const whole = await gold.run(compile({ ...query, limit: 50_000 }));
        expect(whole.length).toBe(Number(n));
        const paged: Row[] = [];
        let pages = 0;
        for (let offset = 0; ; offset += TABLE_PAGE_SIZE) {
          const compiled = compile({ ...firstPage, offset });
          const rows = await gold.run(compiled);
          expect(compiled.limit).toBe(TABLE_PAGE_SIZE);
          paged.push(...rows.slice(0, TABLE_PAGE_SIZE));
          pages += 1;
          if (rows.length <= TABLE_PAGE_SIZE) break;
          expect(rows.length).toBe(TABLE_PAGE_SIZE + 1);
        }
        expect(pages).toBe(Math.ceil(Number(n) / TABLE_PAGE_SIZE));
        expect(rowsOf(paged)).toEqual(rowsOf(whole));
        const [{ rows: counted }] = await gold.run(compile({ ...firstPage, offset: 3 * TABLE_PAGE_SIZE }).count!);
        expect(Number(counted)).toBe(Number(n));
      }
    });

    it('keeps whole-number totals as BIGINT (DuckDB stores a HUGEINT sum bit-packed and scans it about ten times slower)', async () => {
      const wide: string[] = [];
      for (const { table } of gold.rollups) {
        const [row] = await gold.sql(`select * from gold.${table} limit 1`);
        const [types] = await gold.sql(`select ${Object.keys(row).map((c) => `typeof(${c}) as ${c}`).join(', ')} from gold.${table} limit 1`);
        wide.push(...Object.entries(types).flatMap(([column, type]) => (type === 'HUGEINT' ? [`${table}.${column}`] : [])));
      }
      expect(wide).toEqual([]);
    });

    it('a filtered dashboard still reads a rollup that keeps the filtered member', async () => {
      for (const filters of [
        [{ member: 'CourseProgress.courseType', operator: 'equals', values: ['seminar'] }],
        [{ member: 'Learner.organisationTree', operator: 'contains', values: ['/1/'] }],
        [{ member: 'Learner.isActive', operator: 'in', values: [true, false] }],
      ] as AnalyticsQuery['filters'][]) {
        const by = (await sameAnswer(tileQuery('course-completion', 'by-organisation', filters))).rollup;
        expect(by).toBe(filters![0].member === 'CourseProgress.courseType' ? undefined : 'CourseProgress.byOrganisation');
      }
      const { rollup } = await sameAnswer(tileQuery('course-completion', 'by-course', [{ member: 'CourseProgress.status', operator: 'notEquals', values: ['complete'] }]));
      expect(rollup).toBe('CourseProgress.byCourse');
    });

    it("a period on a date kept by month reads its whole months from the rollup and its part months' days from the facts, with the facts' numbers, on every dashboard", async () => {
      // [from, to, whole months only]
      const ranges: [string, string, boolean][] = [
        ['2024-07-01', '2025-06-30', true],
        ['2024-07-16', '2025-06-15', false], // part months at both ends ("the last 12 months" to a mid-month day)
        ['2024-07-01', '2025-06-15', false],
        ['2024-07-16', '2025-06-30', false],
        ['2025-03-05', '2025-03-20', false], // inside one month
        ['2025-03-01', '2025-03-31', true],
        ['2025-02-10', '2025-03-09', false], // two part months, none whole
        ['1900-01-01', '2024-12-31', true], // open start, as the portal sends it
        ['2024-01-15', '9999-12-31', false], // open end
        ['2025-06-30', '2025-06-30', false], // one day
        ['1990-01-01', '1990-12-31', true], // before any data
      ];
      const answeredBy = new Set<string>();
      // Every dashboard's every period (each of its members cut alike, as the portal sends it).
      for (const dashboard of DASHBOARDS.filter((d) => d.roles.includes('org_admin'))) {
        for (const period of dashboard.periods) {
          for (const [from, to, wholeMonths] of ranges) {
            const filters = period.members.map((member) => ({ member, operator: 'inDateRange' as const, values: [from, to] }));
            for (const { tile, query } of dashboardQueries(dashboard.id, filters)) {
              const fromRollup = withRollups(query);
              const fromFacts = facts(query);
              const [a, b] = [await gold.run(fromRollup), await gold.run(fromFacts)];
              const where = { tile: `${dashboard.id}/${tile.id}`, period: period.title, from, to };
              expect({ ...where, rows: rowsOf(a) }).toEqual({ ...where, rows: rowsOf(b) });
              if (!fromRollup.rollup) continue;
              answeredBy.add(`${tile.id} ${period.title}: ${fromRollup.rollup}`);
              // A rollup by month reads the facts only for the days of part months.
              if (/Month$/.test(fromRollup.rollup)) expect(/gold\.fact_/.test(fromRollup.sql)).toBe(!wholeMonths);
            }
          }
        }
      }
      // The organisation and course tiles (and the rest but the distinct learners) no longer scan the facts' every row.
      expect([...answeredBy].sort()).toEqual(
        expect.arrayContaining([
          'by-organisation Enrolled: CourseProgress.byOrganisationEnrolledMonth',
          'by-course Enrolled: CourseProgress.byCourseEnrolledMonth',
          'by-organisation Completed: CourseProgress.byOrganisationCompletedMonth',
          'by-course Completed: CourseProgress.byCourseCompletedMonth',
          'by-status Enrolled: CourseProgress.byEnrolledMonth',
          'by-status Completed: CourseProgress.byCompletedDay',
          'by-course-type Enrolled: CourseProgress.byEnrolledDay',
          // A rollup by day needs no facts at all: it comes first.
          'completions-by-month Completed: CourseProgress.byCompletedDay',
          'scorm-by-package Activity on: Scorm.byPackageLastAccessedMonth',
          'seminar-summary Activity on: SeminarSignup.byStatusDay',
          'seminars Activity on: SeminarSignup.bySeminarStatusMonth',
          'hours-by-month Activity on: LearningTime.byDay',
          'summary Assigned: ProgramProgress.byAssignedDay',
          'by-organisation Due: ProgramProgress.byOrganisationDueMonth',
          'by-program-table Assigned: ProgramProgress.byProgramAssignedMonth',
          // Figures as at the build's as_of (expiring in 30 days) too: the facts' days are summed at the same as_of.
          'summary Expires: Certification.byExpiresDay',
          'by-organisation Expires: Certification.byOrganisationExpiresMonth',
          'by-certification Expires: Certification.byCertificationExpiresMonth',
        ]),
      );
      // A day that is no day is refused with where and what, as the facts refuse it; a range that ends before it starts
      // is no month of any rollup: the facts answer it, with nothing.
      const period = (values: string[]) => tileQuery('course-completion', 'by-organisation', [{ member: 'CourseProgress.enrolledDate', operator: 'inDateRange', values }]);
      expect(() => withRollups(period(['2025-02-30', '2025-06-30']))).toThrow(/CourseProgress\.enrolledDate inDateRange\): "2025-02-30" is not an ISO date/);
      const backwards = withRollups(period(['2025-06-30', '2024-07-01']));
      expect(backwards.rollup).toBeUndefined();
      expect(await gold.run(backwards)).toEqual([]);
      const mid = withRollups(tileQuery('course-completion', 'by-organisation', [{ member: 'CourseProgress.enrolledDate', operator: 'inDateRange', values: ['2024-07-16', '2025-06-15'] }]));
      expect(mid.sql).toContain('from gold.rollup_course_progress_by_organisation_enrolled_month where time_key between ? and ? union all select ');
      expect(mid.sql).toContain('(f.enrolled_date_key between ? and ? or f.enrolled_date_key between ? and ?)');
      expect(mid.params.slice(0, 6)).toEqual([20240801, 20250501, 20240716, 20240731, 20250601, 20250615]);
    });

    const ACTIVE_FILTER = { member: 'Learner.isActive', operator: 'equals' as const, values: [true] };
    const adHoc: { name: string; query: AnalyticsQuery; rollup: string | undefined }[] = [
      {
        name: 'by organisation and status',
        query: { measures: ['CourseProgress.count', 'CourseProgress.completionRate'], dimensions: ['Learner.organisationName', 'CourseProgress.status'], limit: 5000 },
        rollup: 'CourseProgress.byOrganisation',
      },
      { name: 'by course', query: { measures: ['CourseProgress.averageDaysToComplete', 'CourseProgress.completedRpl'], dimensions: ['CourseProgress.courseName'] }, rollup: 'CourseProgress.byCourse' },
      {
        name: 'completions by fiscal year (from days)',
        query: { measures: ['CourseProgress.completed'], timeDimension: { dimension: 'CourseProgress.completedDate', granularity: 'fiscalYear' } },
        rollup: 'CourseProgress.byCompletedDay',
      },
      {
        name: 'completions by fiscal quarter of one fiscal year',
        query: { measures: ['CourseProgress.completed'], timeDimension: { dimension: 'CourseProgress.completedDate', granularity: 'fiscalQuarter', fiscalYear: 2024 } },
        rollup: 'CourseProgress.byCompletedDay',
      },
      {
        name: 'completions by week in a date range',
        query: { measures: ['CourseProgress.completed'], dimensions: ['CourseProgress.courseType'], timeDimension: { dimension: 'CourseProgress.completedDate', granularity: 'week', dateRange: ['2024-03-05', '2024-11-19'] } },
        rollup: 'CourseProgress.byCompletedDay',
      },
      {
        name: 'enrolments by quarter (from months)',
        query: { measures: ['CourseProgress.count'], timeDimension: { dimension: 'CourseProgress.enrolledDate', granularity: 'quarter' } },
        rollup: 'CourseProgress.byEnrolledMonth',
      },
      {
        name: 'enrolments over whole months (from months)',
        query: { measures: ['CourseProgress.count'], timeDimension: { dimension: 'CourseProgress.enrolledDate', granularity: 'month', dateRange: ['2024-02-01', '2024-09-30'] } },
        rollup: 'CourseProgress.byEnrolledMonth',
      },
      {
        name: 'enrolments over part of a month (from days)',
        query: { measures: ['CourseProgress.count'], timeDimension: { dimension: 'CourseProgress.enrolledDate', granularity: 'month', dateRange: ['2024-02-10', '2024-09-30'] } },
        rollup: 'CourseProgress.byEnrolledDay',
      },
      {
        name: 'enrolments by organisation over part of a month: a rollup by month does not split one, the facts',
        query: {
          measures: ['CourseProgress.count'],
          dimensions: ['Learner.organisationName'],
          timeDimension: { dimension: 'CourseProgress.enrolledDate', granularity: 'month', dateRange: ['2024-02-10', '2024-09-30'] },
        },
        rollup: undefined,
      },
      {
        name: 'enrolments by fiscal year (from days)',
        query: { measures: ['CourseProgress.count'], timeDimension: { dimension: 'CourseProgress.enrolledDate', granularity: 'fiscalYear' } },
        rollup: 'CourseProgress.byEnrolledDay',
      },
      {
        name: 'enrolments by organisation and fiscal year: months do not give fiscal years, the facts do',
        query: { measures: ['CourseProgress.count'], dimensions: ['Learner.organisationName'], timeDimension: { dimension: 'CourseProgress.enrolledDate', granularity: 'fiscalYear' } },
        rollup: undefined,
      },
      {
        name: 'distinct learners of active learners (exactly the summary rollup)',
        query: { measures: ['CourseProgress.learners', 'CourseProgress.count'], filters: [ACTIVE_FILTER] },
        rollup: 'CourseProgress.summary',
      },
      {
        name: 'distinct learners by organisation: no rollup has exactly those groups, the facts',
        query: { measures: ['CourseProgress.learners'], dimensions: ['Learner.organisationName'] },
        rollup: undefined,
      },
      {
        name: 'a measure filter recombined from parts',
        query: { measures: ['Certification.complianceRate', 'Certification.count'], dimensions: ['Learner.organisationName'], filters: [{ member: 'Certification.complianceRate', operator: 'gte', values: [0.5] }] },
        rollup: 'Certification.byOrganisation',
      },
      {
        name: 'expiring certifications by certification (as at the build)',
        query: { measures: ['Certification.expiringIn60Days', 'Certification.red'], dimensions: ['Certification.certificationName', 'Certification.rag'] },
        rollup: 'Certification.byCertification',
      },
      {
        name: 'a distinct count only filtered on, over groups that would re-aggregate it: the facts',
        query: { measures: ['CourseProgress.count'], dimensions: ['CourseProgress.courseType'], filters: [{ member: 'CourseProgress.learners', operator: 'gt', values: [3] }] },
        rollup: undefined,
      },
      {
        name: 'a member no rollup keeps (position): the facts',
        query: { measures: ['CourseProgress.count'], dimensions: ['Learner.positionName'] },
        rollup: undefined,
      },
      { name: 'programs by organisation, overdue', query: { measures: ['ProgramProgress.overdue', 'ProgramProgress.dueIn30Days'], dimensions: ['Learner.organisationId'], filters: [{ member: 'ProgramProgress.isOverdue', operator: 'equals', values: [true] }] }, rollup: 'ProgramProgress.byOrganisation' },
      {
        name: 'history learners by fiscal year (exact): none known before the first load',
        query: { measures: ['ProgramHistory.learners', 'ProgramHistory.completed'], dimensions: ['ProgramHistory.fiscalYear', 'ProgramHistory.isYearClosed', 'ProgramHistory.yearEndNote'], filters: [ACTIVE_FILTER] },
        rollup: 'ProgramHistory.byFiscalYear',
      },
      { name: 'history counts over every year, the years before the first load left out', query: { measures: ['ProgramHistory.count', 'ProgramHistory.overdue', 'ProgramHistory.completed'] }, rollup: 'ProgramHistory.byFiscalYear' },
      {
        name: 'history counts over the closed years before the first load alone: empty',
        query: { measures: ['CertificationHistory.count', 'CertificationHistory.compliant', 'CertificationHistory.recertifications'], filters: [{ member: 'CertificationHistory.isYearClosed', operator: 'equals', values: [true] }] },
        rollup: 'CertificationHistory.byFiscalYear',
      },
      { name: 'history by fiscal year, the current year too', query: { measures: ['CertificationHistory.complianceRate', 'CertificationHistory.recertifications'], dimensions: ['CertificationHistory.fiscalYear', 'CertificationHistory.isYearClosed'] }, rollup: 'CertificationHistory.byFiscalYear' },
      { name: 'learners by organisation (my team, tenant-wide)', query: { measures: ['Learner.count', 'Learner.overdueItems'], dimensions: ['Learner.organisationName'], filters: [ACTIVE_FILTER] }, rollup: 'Learner.reports' },
      // Grouped by the learner: each group is one row of the per-learner rollup, read without regrouping.
      {
        name: 'per learner, filtered on a measure (one rollup row per group)',
        query: {
          measures: ['Learner.overdueItems', 'Learner.completedItems', 'Learner.count'],
          dimensions: ['Learner.userId', 'Learner.organisationName'],
          filters: [ACTIVE_FILTER, { member: 'Learner.completedItems', operator: 'gt', values: [2] }],
          order: [{ member: 'Learner.completedItems', direction: 'desc' }],
          limit: 25,
        },
        rollup: 'Learner.reports',
      },
      { name: 'per learner, inactive ones too', query: { measures: ['Learner.overduePrograms', 'Learner.expiredCertifications'], dimensions: ['Learner.userId', 'Learner.isActive'] }, rollup: 'Learner.reports' },
      { name: 'learning hours by quarter and source', query: { measures: ['LearningTime.hours'], dimensions: ['LearningTime.source'], timeDimension: { dimension: 'LearningTime.date', granularity: 'quarter' } }, rollup: 'LearningTime.byDay' },
      { name: 'hours per learner (exact)', query: { measures: ['LearningTime.averageHoursPerLearner'], filters: [ACTIVE_FILTER] }, rollup: 'LearningTime.summary' },
      { name: 'seminar no-shows by status', query: { measures: ['SeminarSignup.noShows', 'SeminarSignup.attendanceRate'], dimensions: ['SeminarSignup.status'] }, rollup: 'SeminarSignup.bySeminar' },
      { name: 'nothing matches: the KPI row of zeros', query: { measures: ['Scorm.attempts', 'Scorm.learners', 'Scorm.passRate', 'Scorm.hours', 'Scorm.averageScore'], filters: [{ member: 'Learner.isActive', operator: 'equals', values: [false] }, { member: 'Learner.isActive', operator: 'equals', values: [true] }] }, rollup: 'Scorm.summary' },
    ];

    it.each(adHoc)('ad hoc: $name', async ({ query, rollup }) => {
      expect((await sameAnswer(query)).rollup).toBe(rollup);
    });

    it("a viewer's granted subtrees apply to a rollup that keeps the organisation, and never widen it", async () => {
      const [org] = await gold.sql(
        `select o.organisation_id from gold.dim_organisation o where o.organisation_key <> -1
         and exists (select 1 from gold.dim_organisation c where c.parent_key = o.organisation_key) order by o.depth desc, o.organisation_id limit 1`,
      );
      const viewer: AnalyticsScope = { kind: 'viewer', organisationIds: [org.organisation_id as number] };
      const byOrg = await sameAnswer(tileQuery('course-completion', 'by-organisation'), viewer);
      expect(byOrg.rollup).toBe('CourseProgress.byOrganisation');
      expect(byOrg.rows.length).toBeGreaterThan(0);
      const all = await gold.run(facts(tileQuery('course-completion', 'by-organisation')));
      expect(byOrg.rows.length).toBeLessThan(all.length);
      // The summary KPI counts distinct learners, kept only per active flag: a viewer's summary reads the facts.
      expect((await sameAnswer(tileQuery('course-completion', 'summary'), viewer)).rollup).toBeUndefined();
      expect((await sameAnswer(tileQuery('my-team', 'reports'), viewer)).rollup).toBe('Learner.reports');
      for (const empty of [await gold.run(withRollups(tileQuery('course-completion', 'by-status'), { kind: 'viewer', organisationIds: [] }))]) expect(empty).toEqual([]);
      // Cut by a period over part months too: the month rollup's rows and the facts' days, both within the subtrees.
      const period = [{ member: 'CourseProgress.enrolledDate', operator: 'inDateRange' as const, values: ['2024-07-16', '2025-06-15'] }];
      const cut = withRollups(tileQuery('course-completion', 'by-organisation', period), viewer);
      expect(cut.rollup).toBe('CourseProgress.byOrganisationEnrolledMonth');
      const [fromRollup, fromFacts] = [await gold.run(cut), await gold.run(facts(tileQuery('course-completion', 'by-organisation', period), viewer))];
      expect(rowsOf(fromRollup)).toEqual(rowsOf(fromFacts));
      expect(fromRollup.length).toBeGreaterThan(0);
    });

    it("a manager's queries never read a rollup", async () => {
      const manager: AnalyticsScope = { kind: 'manager', managerUserId: await busiestManager(), reach: 'all' };
      for (const dashboard of DASHBOARDS) {
        for (const { query } of dashboardQueries(dashboard.id, [])) {
          const compiled = withRollups(query, manager);
          expect(compiled.rollup).toBeUndefined();
          expect(compiled.sql).not.toContain('rollup_');
        }
      }
      const { rows } = await sameAnswer(tileQuery('my-team', 'reports'), manager);
      expect(rows.length).toBeGreaterThan(5);
    });

    it('a version built before rollups, or with other rollups, is answered from the facts', async () => {
      const query = tileQuery('course-completion', 'by-status');
      expect(compileQuery(query, TENANT, dialect, { asOf: AS_OF, rollups: [] }).rollup).toBeUndefined();
      const olderDefinition = gold.rollups.map((r) => ({ ...r, signature: `${r.signature}-older` }));
      const compiled = compileQuery(query, TENANT, dialect, { asOf: AS_OF, rollups: olderDefinition });
      expect(compiled.rollup).toBeUndefined();
      expect(await gold.run(compiled)).toEqual(await gold.run(facts(query)));
    });

    it('figures as at a day (expiring, due) come from a rollup only when it was built at the query’s as_of', () => {
      const expiring = tileQuery('certification-compliance', 'summary');
      expect(withRollups(expiring).rollup).toBe('Certification.summary');
      expect(withRollups(expiring, TENANT, '2025-07-01').rollup).toBeUndefined();
      // Course figures do not depend on the day: any as_of reads their rollups.
      expect(withRollups(tileQuery('course-completion', 'by-status'), TENANT, '2025-07-01').rollup).toMatch(/^CourseProgress\./);
    });
  });

  /** The manager with the most indirect reports: a manager whose 'all' and 'direct' differ. */
  async function busiestManager(): Promise<number> {
    const [row] = await gold.sql(
      `select manager_user_key from gold.dim_manager_relationship where relationship = 'indirect' and manager_user_key <> -1
       group by 1 order by count(*) desc, 1 limit 1`,
    );
    return row.manager_user_key as number;
  }
});
