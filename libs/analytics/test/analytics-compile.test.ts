import { assertReadOnlyDatabricksSelect, databricksDialect, duckdbDialect, ReadOnlyGuard } from '@kineo/warehouse';
import {
  AnalyticsQueryError,
  compileDrill,
  compileQuery,
  dashboardQueries,
  inCallersFilters,
  DASHBOARDS,
  TABLE_PAGE_SIZE,
  describeModel,
  modelFingerprint,
  queryIdentity,
  rollupModels,
  validateQuery,
  type AnalyticsQuery,
  type AnalyticsScope,
} from '../src';
import { CUBES } from '../src/model';

const options = { asOf: '2025-06-30' };
const TENANT: AnalyticsScope = { kind: 'tenant' };
const INJECTION = "'; drop table gold.dim_user; --";

function errorOf(fn: () => unknown): AnalyticsQueryError {
  try {
    fn();
  } catch (e) {
    if (e instanceof AnalyticsQueryError) return e;
    throw e;
  }
  throw new Error('expected an AnalyticsQueryError');
}

describe('compiling a query', () => {
  const query: AnalyticsQuery = {
    measures: ['CourseProgress.completionRate', 'CourseProgress.count'],
    dimensions: ['Learner.organisationName'],
    filters: [
      { member: 'CourseProgress.courseName', operator: 'contains', values: [INJECTION] },
      { member: 'CourseProgress.courseType', operator: 'in', values: ['elearning', 'blended'] },
    ],
    timeDimension: { dimension: 'CourseProgress.completedDate', granularity: 'month', dateRange: ['2024-07-01', '2025-06-30'] },
    limit: 20,
  };

  it('emits Databricks SQL with backquoted aliases, date_trunc to a DATE and every value bound', () => {
    const compiled = compileQuery(query, { kind: 'manager', managerUserId: 42, reach: 'direct' }, databricksDialect, options);
    expect(compiled.sql).toBe(
      'select learner_org.label as `Learner.organisationName`, ' +
        "cast(date_trunc('month', d_completed_date.date) as date) as `CourseProgress.completedDate.month`, " +
        'cast(count(case when f.is_complete then 1 end) as double) / nullif(count(*), 0) as `CourseProgress.completionRate`, ' +
        'count(*) as `CourseProgress.count` ' +
        'from gold.fact_course_progress f ' +
        'left join gold.dim_user learner on learner.user_key = f.user_key ' +
        'left join gold.dim_organisation learner_org on learner_org.organisation_key = learner.organisation_key ' +
        'left join gold.dim_date d_completed_date on d_completed_date.date_key = f.completed_date_key ' +
        'left join gold.dim_course course on course.course_key = f.course_key ' +
        "where (f.user_key in (select r.user_key from gold.dim_manager_relationship r where r.manager_user_key = ? and r.relationship = 'direct')) " +
        'and ((instr(lower(course.label), ?) > 0)) ' +
        'and (course.course_type in (?, ?)) ' +
        'and (f.completed_date_key <> -1) ' +
        'and (f.completed_date_key between ? and ?) ' +
        "group by learner_org.label, cast(date_trunc('month', d_completed_date.date) as date) " +
        'order by `CourseProgress.completedDate.month` asc nulls last, `Learner.organisationName` asc nulls last ' +
        'limit 21',
    );
    expect(compiled.params).toEqual([42, INJECTION.toLowerCase(), 'elearning', 'blended', 20240701, 20250630]);
    expect(compiled.columns).toEqual([
      { key: 'Learner.organisationName', member: 'Learner.organisationName', title: 'Organisation', type: 'string' },
      { key: 'CourseProgress.completedDate.month', member: 'CourseProgress.completedDate', title: 'Completed (month)', type: 'date' },
      { key: 'CourseProgress.completionRate', member: 'CourseProgress.completionRate', title: 'Completion rate', type: 'number', format: 'percent' },
      { key: 'CourseProgress.count', member: 'CourseProgress.count', title: 'Enrolments', type: 'number', format: 'integer' },
    ]);
  });

  it('emits the same statement for DuckDB with double-quoted aliases and the same parameters', () => {
    const databricks = compileQuery(query, TENANT, databricksDialect, options);
    const duckdb = compileQuery(query, TENANT, duckdbDialect, options);
    expect(duckdb.sql).toBe(databricks.sql.replace(/`([^`]*)`/g, '"$1"'));
    expect(duckdb.params).toEqual(databricks.params);
  });

  it('never inlines a value: strings, numbers, ids, dates and fiscal years are all parameters', () => {
    const tricky: AnalyticsQuery = {
      measures: ['Certification.count', 'Certification.expiringIn90Days'],
      dimensions: ['Certification.state'],
      filters: [
        { member: 'Learner.fullName', operator: 'equals', values: [INJECTION] },
        { member: 'Learner.department', operator: 'notIn', values: ['Ward "7"', "O'Brien\\"] },
        { member: 'Learner.organisationDepth', operator: 'gte', values: [987654] },
        { member: 'Certification.expiresDate', operator: 'beforeDate', values: ['2031-02-03'] },
        { member: 'Certification.count', operator: 'gt', values: [123457] },
      ],
      timeDimension: { dimension: 'Certification.completedDate', fiscalYear: 2033 },
    };
    for (const dialect of [duckdbDialect, databricksDialect]) {
      for (const scope of [{ kind: 'manager', managerUserId: 424242, reach: 'all' }, { kind: 'viewer', organisationIds: [918273, 5550] }] as AnalyticsScope[]) {
        const compiled = compileQuery(tricky, scope, dialect, options);
        for (const value of ['drop table', 'Ward', "O'Brien", '987654', '20310203', '2031', '2033', '123457', '424242', '918273', '5550', '20250630']) {
          expect(compiled.sql).not.toContain(value);
        }
        expect(compiled.params).toEqual(expect.arrayContaining([INJECTION, 'Ward "7"', "O'Brien\\", 987654, 20310203, 2033, 123457]));
        expect(compiled.sql.split('?').length - 1).toBe(compiled.params.length);
      }
    }
  });

  it('filters dates on the integer date key, never through timestamp casts', () => {
    const compiled = compileQuery(
      {
        measures: ['ProgramProgress.overdue'],
        filters: [{ member: 'ProgramProgress.dueDate', operator: 'inDateRange', values: ['2025-01-01', '2025-03-31'] }],
        timeDimension: { dimension: 'ProgramProgress.completedDate', dateRange: ['2024-01-01', '2024-12-31'] },
      },
      TENANT,
      duckdbDialect,
      options,
    );
    expect(compiled.sql).not.toMatch(/timestamp/i);
    expect(compiled.sql).not.toContain('dim_date');
    expect(compiled.sql).toContain('f.due_date_key between ? and ?');
    expect(compiled.params).toEqual([20250101, 20250331, 20240101, 20241231]);
  });

  it('binds "as at the build" from asOf, not from the clock', () => {
    const compiled = compileQuery({ measures: ['Certification.expiringIn30Days', 'Certification.expiringIn60Days'] }, TENANT, duckdbDialect, {
      asOf: '2024-12-15',
    });
    expect(compiled.sql).not.toMatch(/now\(|current_/i);
    // The next 30 (60) days: the build's day and the 29 (59) after it.
    expect(compiled.params).toEqual([20250113, 20250212]);
  });

  it('names gold tables the way the caller asks, scope and per-learner totals included', () => {
    const gold = (t: string) => `snap.gold_v3.${t}`;
    const compiled = compileQuery({ measures: ['Learner.overdueItems'], dimensions: ['Learner.fullName'] }, { kind: 'viewer', organisationIds: [2] }, databricksDialect, {
      ...options,
      gold,
    });
    expect(compiled.sql).not.toMatch(/(?<!gold_v3\.)\bgold\./);
    expect(compiled.sql).toContain('snap.gold_v3.fact_program_progress');
    expect(compiled.sql).toContain('snap.gold_v3.dim_organisation');
  });

  it('joins only the tables a query reads', () => {
    const compiled = compileQuery({ measures: ['CourseProgress.count'], dimensions: ['CourseProgress.status'] }, TENANT, duckdbDialect, options);
    expect(compiled.sql).toBe(
      'select f.status as "CourseProgress.status", count(*) as "CourseProgress.count" from gold.fact_course_progress f group by f.status order by "CourseProgress.count" desc nulls last, "CourseProgress.status" asc nulls last limit 1001',
    );
  });

  it('streams an export without the default limit but keeps the limit a query sets, and caps a query at 50000 rows', () => {
    expect(compileQuery({ measures: ['Learner.count'], dimensions: ['Learner.email'] }, TENANT, duckdbDialect, { ...options, noLimit: true }).sql).not.toMatch(/limit/);
    expect(compileQuery({ measures: ['Learner.count'], dimensions: ['Learner.email'], limit: 5 }, TENANT, duckdbDialect, { ...options, noLimit: true }).sql).toMatch(/ limit 5$/);
    expect(errorOf(() => validateQuery({ measures: ['Learner.count'], limit: 50001 })).message).toBe('Invalid analytics query: limit: at most 50,000 rows (an export has every row).');
  });

  it('pages a query: one row past the limit tells that more follow, the offset skips the earlier pages, and `total` counts the whole answer', () => {
    const page = { measures: ['Learner.count'], dimensions: ['Learner.email'], limit: 25, offset: 50, total: true };
    for (const [d, quote] of [
      [duckdbDialect, '"'],
      [databricksDialect, '`'],
    ] as const) {
      const compiled = compileQuery(page, TENANT, d, options);
      expect(compiled.sql).toMatch(/ limit 26 offset 50$/);
      expect(compiled.limit).toBe(25);
      // The count is the same statement without its order and window, so it counts what the pages list.
      const whole = compileQuery({ measures: page.measures, dimensions: page.dimensions, limit: 25 }, TENANT, d, options).sql.replace(/ order by .*$/, '');
      expect(compiled.count!.sql).toBe(`select count(*) as ${quote}rows${quote} from (${whole}) as ${quote}_answer${quote}`);
    }
    expect(compileQuery({ measures: ['Learner.count'], dimensions: ['Learner.email'] }, TENANT, duckdbDialect, options).count).toBeUndefined();
    // An export is the whole answer: no page of it, no count.
    const exported = compileQuery(page, TENANT, duckdbDialect, { ...options, noLimit: true });
    expect(exported.sql).toMatch(/ limit 25$/);
    expect(exported.limit).toBeUndefined();
    expect(exported.count).toBeUndefined();
    expect(errorOf(() => validateQuery({ measures: ['Learner.count'], offset: -1 })).message).toMatch(/offset/);
    expect(errorOf(() => validateQuery({ measures: ['Learner.count'], offset: 10_000_001 })).message).toMatch(/offset/);
  });

  it('lists every row of a table tile, a page at a time, and says how many there are', () => {
    for (const dashboard of DASHBOARDS) {
      for (const { tile, query, run } of dashboardQueries(dashboard.id, [])) {
        if (tile.chart !== 'table') {
          expect(run).toBe(query);
          continue;
        }
        expect(query.limit).toBeUndefined();
        expect(run).toEqual({ ...query, limit: TABLE_PAGE_SIZE, total: true });
      }
    }
  });

  it('scopes every query: a viewer granted nothing matches nothing; a manager never includes themself', () => {
    expect(compileQuery({ measures: ['Learner.count'] }, { kind: 'viewer', organisationIds: [] }, duckdbDialect, options).sql).toContain('(1 = 0)');
    const all = compileQuery({ measures: ['Learner.count'] }, { kind: 'manager', managerUserId: 7, reach: 'all' }, duckdbDialect, options).sql;
    expect(all).toContain("r.relationship in ('direct', 'indirect')");
    expect(all).not.toContain("'self'");
    expect(errorOf(() => compileQuery({ measures: ['Learner.count'] }, { kind: 'manager', managerUserId: 'me' } as never, duckdbDialect, options)).code).toBe('INVALID_SCOPE');
    expect(errorOf(() => compileQuery({ measures: ['Learner.count'] }, { kind: 'admin' } as never, duckdbDialect, options)).code).toBe('INVALID_SCOPE');
  });

  it('refuses an asOf that is not a date', () => {
    expect(errorOf(() => compileQuery({ measures: ['Learner.count'] }, TENANT, duckdbDialect, { asOf: 'yesterday' })).code).toBe('INVALID_OPTIONS');
  });
});

describe('validating a query', () => {
  it.each([
    [{ measures: ['Course.count'] }, /unknown member 'Course\.count'.*CourseProgress, ProgramProgress, Certification/],
    [{ measures: ['CourseProgress.completionRat'] }, /unknown measure 'CourseProgress\.completionRat'.*completionRate/],
    [{ measures: ['CourseProgress.status'] }, /CourseProgress\.status is a dimension, not a measure/],
    [{ measures: ['CourseProgress.count'], dimensions: ['CourseProgress.bogus'] }, /dimensions\[0\]: unknown dimension 'CourseProgress\.bogus'.*courseName/],
    [{ measures: ['CourseProgress.count', 'Certification.count'] }, /CourseProgress, Certification cannot be mixed in one query/],
    [{ measures: ['CourseProgress.count'], dimensions: ['Certification.state'] }, /Certification\.state cannot be used in a query over CourseProgress/],
    [{ measures: ['CourseProgress.count'], timeDimension: { dimension: 'CourseProgress.status' } }, /not a date; the dates of CourseProgress are .*completedDate/],
    [{ measures: ['CourseProgress.count'], order: [{ member: 'CourseProgress.status', direction: 'asc' }] }, /order\[0\]: CourseProgress\.status is not in the query/],
    [{ measures: ['CourseProgress.count'], timeDimension: { dimension: 'CourseProgress.completedDate', dateRange: ['2025-02-30', '2025-03-01'] } }, /dateRange/],
    [{ measures: [] }, /at least one measure/],
    [{ measures: ['CourseProgress.count'], filters: [{ member: 'CourseProgress.status', operator: 'like', values: ['x'] }] }, /filters\.0\.operator/],
    [{ measures: ['CourseProgress.count'], extra: true }, /extra/],
  ])('%j is refused: %s', (query, message) => {
    const error = errorOf(() => validateQuery(query));
    expect(error.code).toBe('INVALID_QUERY');
    expect(error.message).toMatch(message);
  });

  it.each([
    [{ member: 'Learner.organisationDepth', operator: 'equals', values: ['deep'] }, /filters\[0\] \(Learner\.organisationDepth equals\): "deep" is not a number/],
    [{ member: 'Learner.isActive', operator: 'equals', values: ['yes'] }, /is not true or false/],
    [{ member: 'CourseProgress.completedDate', operator: 'afterDate', values: ['last week'] }, /is not an ISO date/],
    [{ member: 'CourseProgress.status', operator: 'gt', values: ['a'] }, /gt applies to numbers and dates/],
    [{ member: 'CourseProgress.status', operator: 'equals' }, /expects at least one value, got 0/],
    [{ member: 'CourseProgress.completedDate', operator: 'inDateRange', values: ['2025-01-01'] }, /expects 2 value/],
  ])('a filter %j with values of the wrong kind is refused when compiled', (filter, message) => {
    const error = errorOf(() => compileQuery({ measures: ['CourseProgress.count'], filters: [filter as never] }, TENANT, duckdbDialect, options));
    expect(error.message).toMatch(message);
  });
});

describe('drill lists', () => {
  const query: AnalyticsQuery = { measures: ['Certification.count', 'Certification.expiringIn30Days'], dimensions: ['Learner.organisationName', 'Certification.rag'] };

  it("bind the clicked cell, the measure's rows and the cursor", () => {
    const first = compileDrill({ query, cell: { 'Learner.organisationName': INJECTION, 'Certification.rag': null }, measure: 'Certification.expiringIn30Days', pageSize: 3 }, TENANT, databricksDialect, options);
    expect(first.sql).not.toContain('drop table');
    expect(first.sql).toContain('(f.rag is null)');
    // The declared order (the learner's name), then the unique key: a total order to page along.
    expect(first.sql).toMatch(/order by `_o0` asc, f\.completion_id asc limit 3$/);
    expect(first.params).toEqual([INJECTION, 20250729]);
    const cursor = first.cursorOf({ _o0: "O'Brien", _k0: 981 });
    const next = compileDrill({ query, cell: {}, after: cursor }, TENANT, databricksDialect, options);
    expect(next.sql).toContain("((coalesce(learner.label, '') > ?) or (coalesce(learner.label, '') = ? and f.completion_id > ?))");
    expect(next.params).toEqual(["O'Brien", "O'Brien", 981]);
  });

  it('refuse a cell keyed by something the query is not cut by', () => {
    expect(errorOf(() => compileDrill({ query, cell: { 'Certification.state': 'expired' } }, TENANT, duckdbDialect, options)).message).toMatch(
      /Certification\.state is not a dimension of the query; a cell is keyed by Learner\.organisationName, Certification\.rag/,
    );
    expect(errorOf(() => compileDrill({ query, cell: {}, measure: 'Certification.compliant' }, TENANT, duckdbDialect, options)).message).toMatch(/not a measure of the query/);
    expect(errorOf(() => compileDrill({ query, cell: {}, pageSize: 0 }, TENANT, duckdbDialect, options)).message).toMatch(/pageSize/);
  });
});

describe('query identity', () => {
  const query: AnalyticsQuery = { measures: ['CourseProgress.count', 'CourseProgress.completed'], dimensions: ['CourseProgress.status'], limit: 10 };

  it('is the same for the same query and scope however the objects were built', () => {
    const reordered = { limit: 10, dimensions: ['CourseProgress.status'], measures: ['CourseProgress.count', 'CourseProgress.completed'] };
    expect(queryIdentity(reordered, TENANT)).toBe(queryIdentity(query, TENANT));
    expect(queryIdentity(query, { kind: 'viewer', organisationIds: [3, 1, 3] })).toBe(queryIdentity(query, { kind: 'viewer', organisationIds: [1, 3] }));
    expect(queryIdentity(query, TENANT)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('differs by scope and by the order of members', () => {
    const ids = new Set([
      queryIdentity(query, TENANT),
      queryIdentity(query, { kind: 'manager', managerUserId: 5, reach: 'all' }),
      queryIdentity(query, { kind: 'manager', managerUserId: 5, reach: 'direct' }),
      queryIdentity(query, { kind: 'manager', managerUserId: 6, reach: 'all' }),
      queryIdentity(query, { kind: 'viewer', organisationIds: [] }),
      queryIdentity({ ...query, measures: [...query.measures].reverse() }, TENANT),
    ]);
    expect(ids.size).toBe(6);
  });
});

describe('the model and the dashboards', () => {
  it('describes every cube with titled, typed members', () => {
    const meta = describeModel();
    expect(meta.cubes.map((c) => c.name)).toEqual([
      'CourseProgress',
      'ProgramProgress',
      'Certification',
      'Scorm',
      'SeminarSignup',
      'LearningTime',
      'Learner',
      'CourseHistory',
      'ProgramHistory',
      'CertificationHistory',
      'CourseToCertHistory',
    ]);
    for (const cube of meta.cubes) {
      expect(cube.measures.length).toBeGreaterThan(0);
      for (const m of [...cube.measures, ...cube.dimensions]) expect(m.title && m.description).toBeTruthy();
    }
    const completed = meta.cubes.find((c) => c.name === 'CourseProgress')!.dimensions.find((d) => d.name === 'CourseProgress.completedDate')!;
    expect(completed).toMatchObject({ type: 'time', granularities: ['day', 'week', 'month', 'quarter', 'year', 'fiscalYear', 'fiscalQuarter'] });
  });

  it('has the six dashboards, each tile compiling for both engines and every kind of caller', () => {
    expect(DASHBOARDS.map((d) => d.id)).toEqual(['course-completion', 'certification-compliance', 'program-progress', 'learning-activity', 'my-team', 'fiscal-year-history']);
    const scopes: AnalyticsScope[] = [TENANT, { kind: 'manager', managerUserId: 9, reach: 'all' }, { kind: 'viewer', organisationIds: [4] }];
    for (const dashboard of DASHBOARDS) {
      expect(dashboard.emptyState).toMatch(/\.csv|fiscal year/);
      // Every filter a dashboard offers narrows at least one of its tiles.
      for (const filter of dashboard.filters) {
        const fits = dashboard.tiles.filter((t) => {
          try {
            validateQuery({ measures: [t.query.measures[0]], filters: [{ member: filter, operator: 'set' }] });
            return true;
          } catch {
            return false;
          }
        });
        expect({ filter, tiles: fits.length > 0 }).toEqual({ filter, tiles: true });
      }
      for (const { query } of dashboardQueries(dashboard.id, [])) {
        for (const dialect of [duckdbDialect, databricksDialect]) for (const scope of scopes) expect(compileQuery(query, scope, dialect, options).sql).toMatch(/^select /);
      }
    }
  });

  it('refuses an unknown dashboard and a filter the dashboard does not offer', () => {
    expect(errorOf(() => dashboardQueries('sales', [])).message).toMatch(/Unknown dashboard 'sales'.*course-completion/);
    expect(errorOf(() => dashboardQueries('my-team', [{ member: 'CourseProgress.status', operator: 'equals', values: ['complete'] }])).message).toMatch(
      /cannot be filtered by "CourseProgress\.status"; it can be filtered by Learner\.isActive/,
    );
  });
});

describe('dashboard periods', () => {
  const cubeOf = (member: string) => member.slice(0, member.indexOf('.'));
  const time = new Map(describeModel().cubes.flatMap((c) => c.dimensions.filter((d) => d.type === 'time').map((d) => [d.name, c.name] as const)));

  it("each period is dates of the dashboard's own cubes, one per cube, and the dashboard can be filtered by them", () => {
    expect(DASHBOARDS.map((d) => [d.id, d.periods.map((p) => p.title)])).toEqual([
      ['course-completion', ['Enrolled', 'Completed']],
      ['certification-compliance', ['Expires']],
      ['program-progress', ['Assigned', 'Due']],
      ['learning-activity', ['Activity on']],
      ['my-team', []],
      ['fiscal-year-history', []],
    ]);
    for (const dashboard of DASHBOARDS) {
      const tileCubes = new Set(dashboard.tiles.map((t) => cubeOf(t.query.measures[0])));
      for (const period of dashboard.periods) {
        expect(period.description).toMatch(/period/);
        for (const member of period.members) {
          expect({ member, time: time.has(member), ofTile: tileCubes.has(cubeOf(member)), filter: dashboard.filters.includes(member) }).toEqual({ member, time: true, ofTile: true, filter: true });
        }
        expect(new Set(period.members.map(cubeOf)).size).toBe(period.members.length);
      }
    }
  });

  it("a period's range goes to the tiles of each member's cube and no other, as a range of date keys", () => {
    const range = (member: string) => ({ member, operator: 'inDateRange' as const, values: ['2026-01-01', '2026-03-31'] });
    const activity = DASHBOARDS.find((d) => d.id === 'learning-activity')!.periods[0]!;
    const tiles = dashboardQueries('learning-activity', activity.members.map(range));
    for (const { tile, query } of tiles) {
      const dated = (query.filters ?? []).filter((f) => f.operator === 'inDateRange').map((f) => f.member);
      expect({ tile: tile.id, dated }).toEqual({ tile: tile.id, dated: activity.members.filter((m) => cubeOf(m) === cubeOf(tile.query.measures[0])) });
      for (const dialect of [duckdbDialect, databricksDialect]) {
        const compiled = compileQuery(query, TENANT, dialect, options);
        expect(compiled.sql).toMatch(/\bf\.(\w+_)?date_key between \? and \?/);
        expect(compiled.params).toEqual(expect.arrayContaining([20260101, 20260331]));
      }
    }
    // A course dashboard's 'Completed' leaves its certification and program neighbours alone: it is not theirs to take.
    expect(errorOf(() => dashboardQueries('certification-compliance', [range('CourseProgress.completedDate')])).message).toMatch(/cannot be filtered by "CourseProgress\.completedDate"/);
    const [summary] = dashboardQueries('course-completion', [{ member: 'CourseProgress.completedDate', operator: 'inDateRange', values: ['2026-02-30', '2026-03-31'] }]);
    expect(errorOf(() => compileQuery(summary!.query, TENANT, duckdbDialect, options)).message).toMatch(/CourseProgress\.completedDate inDateRange\): "2026-02-30" is not an ISO date/);
    // Named by its place among the caller's filters, not in the tile's query (where the default filter comes first).
    const [tile] = dashboardQueries('course-completion', [
      { member: 'CourseProgress.status', operator: 'equals', values: ['complete'] },
      { member: 'CourseProgress.completedDate', operator: 'inDateRange', values: ['2026-02-30', '2026-03-31'] },
    ]);
    expect(tile!.filterOrigins).toEqual([...(tile!.tile.query.filters ?? []).map(() => null), null, 0, 1]);
    expect(errorOf(() => inCallersFilters(tile!.filterOrigins, () => compileQuery(tile!.query, TENANT, duckdbDialect, options))).message).toMatch(
      /^filters\[1\] \(CourseProgress\.completedDate inDateRange\): "2026-02-30" is not an ISO date/,
    );
    // A list of values the schema refuses is numbered the same way, planned or compiled.
    expect(errorOf(() => dashboardQueries('course-completion', [{ member: 'CourseProgress.status', operator: 'equals', values: [] }, { member: 'CourseProgress.status', operator: 'in', values: [{}] as never }])).message).toMatch(/filters\.1\b/);
  });
});

describe('rollups on Databricks (compiled, not executed)', () => {
  const models = rollupModels(databricksDialect, '2025-06-30');
  // What a Databricks build of these definitions lists in its manifest: the names and signatures the compiler checks.
    const manifest = [...models[models.length - 1].sql.matchAll(/select '([^']+)' as rollup_name, '([^']+)' as table_name, '([0-9a-f]+)' as signature/g)].map(
    ([, rollup, table, signature]) => ({ rollup, table, signature, asOfKey: 20250630, rows: 10 }),
  );

  it('builds each rollup with one CREATE TABLE AS SELECT of plain Databricks SQL, the as_of written in as date keys', () => {
    const day = models.find((m) => m.name === 'gold.rollup_course_progress_by_completed_day')!;
    expect(day.sql).toBe(
      'create or replace table gold.rollup_course_progress_by_completed_day as select learner.is_active as d__learner__is_active, ' +
        'course.course_type as d__course_progress__course_type, f.status as d__course_progress__status, f.completed_date_key as time_key, ' +
        "count(*) as m__count__n, count(case when f.is_complete then 1 end) as m__completed__n, count(case when f.is_rpl then 1 end) as m__completed_rpl__n, " +
        "count(case when f.status = 'in_progress' then 1 end) as m__in_progress__n, count(case when f.status = 'not_started' then 1 end) as m__not_started__n, " +
        'count(case when f.is_complete then 1 end) as m__completion_rate__num, count(*) as m__completion_rate__den, ' +
        'sum(cast(f.days_to_complete as double)) as m__average_days_to_complete__s, count(f.days_to_complete) as m__average_days_to_complete__n ' +
        'from gold.fact_course_progress f left join gold.dim_user learner on learner.user_key = f.user_key left join gold.dim_course course on course.course_key = f.course_key ' +
        'group by learner.is_active, course.course_type, f.status, f.completed_date_key',
    );
    expect(day.depends.sort()).toEqual(['gold.dim_course', 'gold.dim_user', 'gold.fact_course_progress']);
    const certification = models.find((m) => m.name === 'gold.rollup_certification_summary')!;
    expect(certification.sql).toContain('count(case when f.is_compliant and f.expires_date_key <= 20250729 then 1 end) as m__expiring_in30_days__n');
    for (const m of models) {
      expect(m.sql).not.toContain('?');
      expect(m.sql).not.toMatch(/["`]/);
      expect(m.stage).toBe('snapshots');
    }
    expect(models[models.length - 1].depends).toHaveLength(models.length - 1);
    expect(manifest.map((e) => `gold.${e.table}`)).toEqual(models.slice(0, -1).map((m) => m.name));
  });

  it('answers a tile from a rollup with its parts recombined and every value bound', () => {
    const query = dashboardQueries('course-completion', []).find((t) => t.tile.id === 'completions-by-month')!.query;
    const compiled = compileQuery(query, TENANT, databricksDialect, { ...options, rollups: manifest });
    expect(compiled.rollup).toBe('CourseProgress.byCompletedDay');
    expect(compiled.sql).toBe(
      "select cast(date_trunc('month', rd.date) as date) as `CourseProgress.completedDate.month`, " +
        'cast(coalesce(sum(f.m__completed__n), 0) as bigint) as `CourseProgress.completed` ' +
        'from gold.rollup_course_progress_by_completed_day f left join gold.dim_date rd on rd.date_key = f.time_key ' +
        'where (f.d__learner__is_active = ?) and (f.time_key <> -1) ' +
        "group by cast(date_trunc('month', rd.date) as date) " +
        'order by `CourseProgress.completedDate.month` asc nulls last limit 1001',
    );
    expect(compiled.params).toEqual([true]);
    const rate = compileQuery({ measures: ['CourseProgress.completionRate'], dimensions: ['CourseProgress.courseType'] }, TENANT, databricksDialect, { ...options, rollups: manifest });
    expect(rate.sql).toContain('cast(coalesce(sum(f.m__completion_rate__num), 0) as double) / nullif(coalesce(sum(f.m__completion_rate__den), 0), 0)');
  });

  it("reads a per-learner rollup's rows as they are when the query groups by the learner, and keeps integer totals as bigint", () => {
    const reports = dashboardQueries('my-team', []).find((t) => t.tile.id === 'reports')!.query;
    const compiled = compileQuery(reports, TENANT, databricksDialect, { ...options, rollups: manifest });
    expect(compiled.rollup).toBe('Learner.reports');
    expect(compiled.sql).toMatch(/^select f\.d__learner__full_name as `Learner\.fullName`, f\.d__learner__user_id as `Learner\.userId`, .* coalesce\(f\.m__overdue_items__s, 0\) as `Learner\.overdueItems`, /);
    expect(compiled.sql).not.toMatch(/group by|sum\(|max\(/);
    expect(compiled.sql).toContain('from gold.rollup_learner_reports f where (f.d__learner__is_active = ?) order by `Learner.overdueItems` desc nulls last');
    // Without the learner among the dimensions a group is many learners: summed again.
    const byOrganisation = compileQuery({ measures: ['Learner.overdueItems'], dimensions: ['Learner.organisationName'] }, TENANT, databricksDialect, { ...options, rollups: manifest });
    expect(byOrganisation.rollup).toBe('Learner.reports');
    expect(byOrganisation.sql).toContain('coalesce(sum(f.m__overdue_items__s), 0)');
    expect(byOrganisation.sql).toContain('group by f.d__learner__organisation_name');
    const build = models.find((m) => m.name === 'gold.rollup_learner_reports')!;
    expect(build.sql).toContain('cast(sum(coalesce(program_totals.overdue, 0) + coalesce(certification_totals.overdue, 0)) as bigint) as m__overdue_items__s');
  });

  it("reads a period's whole months from a rollup by month and its part months' days from the facts, every value bound", () => {
    const period = [{ member: 'CourseProgress.enrolledDate', operator: 'inDateRange' as const, values: ['2024-07-16', '2025-06-15'] }];
    const query = dashboardQueries('course-completion', period).find((t) => t.tile.id === 'by-organisation')!.query;
    const compiled = compileQuery(query, TENANT, databricksDialect, { ...options, rollups: manifest });
    expect(compiled.rollup).toBe('CourseProgress.byOrganisationEnrolledMonth');
    // Both sides in the columns the tile reads only (not the rollup's organisation id, path and status), so the facts' days are grouped by no more.
    expect(compiled.sql).toContain(
      'from (select d__learner__is_active, d__learner__organisation_name, time_key, m__count__n, m__completed__n, m__completion_rate__num, m__completion_rate__den ' +
        'from gold.rollup_course_progress_by_organisation_enrolled_month where time_key between ? and ? ' +
        'union all select learner.is_active as d__learner__is_active, learner_org.label as d__learner__organisation_name, ',
    );
    expect(compiled.sql).toContain(
      'where (f.enrolled_date_key between ? and ? or f.enrolled_date_key between ? and ?) ' +
        'group by learner.is_active, learner_org.label, case when f.enrolled_date_key = -1 then -1 else f.enrolled_date_key - f.enrolled_date_key % 100 + 1 end) f ',
    );
    expect(compiled.sql).not.toMatch(/between \d/);
    // The whole months, the days of the first part month and of the last, then the tile's own filters.
    expect(compiled.params).toEqual([20240801, 20250501, 20240716, 20240731, 20250601, 20250615, true]);
    // The period's predicate is the union's: the outer query does not filter the month keys by days.
    expect(compiled.sql).not.toContain('f.time_key between');
  });

  it("binds a viewer's organisations and never reads a rollup for a manager", () => {
    const query: AnalyticsQuery = { measures: ['CourseProgress.count'], dimensions: ['Learner.organisationName'] };
    const viewer = compileQuery(query, { kind: 'viewer', organisationIds: [9, 4] }, databricksDialect, { ...options, rollups: manifest });
    expect(viewer.rollup).toBe('CourseProgress.byOrganisation');
    expect(viewer.sql).toContain('where (f.d__learner__organisation_id in (select so.organisation_id from gold.dim_organisation so');
    expect(viewer.params).toEqual([4, 9]);
    const manager = compileQuery(query, { kind: 'manager', managerUserId: 42, reach: 'all' }, databricksDialect, { ...options, rollups: manifest });
    expect(manager.rollup).toBeUndefined();
    expect(manager.sql).toContain('from gold.fact_course_progress f');
  });
});

describe('the read-only guard passes what the compiler emits, on both engines', () => {
  const readOnly = new ReadOnlyGuard();
  afterAll(() => readOnly.close());

  it('every dashboard tile for every scope, with and without rollups, its drill and its export', async () => {
    const models = rollupModels(databricksDialect, '2025-06-30');
    const manifest = [...models[models.length - 1].sql.matchAll(/select '([^']+)' as rollup_name, '([^']+)' as table_name, '([0-9a-f]+)' as signature/g)].map(
      ([, rollup, table, signature]) => ({ rollup, table, signature, asOfKey: 20250630, rows: 10 }),
    );
    const scopes: AnalyticsScope[] = [TENANT, { kind: 'manager', managerUserId: 4, reach: 'direct' }, { kind: 'manager', managerUserId: 4, reach: 'all' }, { kind: 'viewer', organisationIds: [2] }];
    const engines = [
      { dialect: databricksDialect, guard: (sql: string, layers: 'gold'[]) => assertReadOnlyDatabricksSelect(readOnly, sql, layers) },
      { dialect: duckdbDialect, guard: (sql: string, layers: 'gold'[]) => readOnly.assertReadOnlySelect(sql, layers) },
    ];
    let checked = 0;
    for (const { dialect, guard } of engines) {
      for (const dashboard of DASHBOARDS) {
        for (const { tile, query } of dashboardQueries(dashboard.id, [])) {
          for (const scope of scopes) {
            const statements = [
              compileQuery(query, scope, dialect, options),
              compileQuery(query, scope, dialect, { ...options, rollups: manifest }),
              compileQuery(query, scope, dialect, { ...options, noLimit: true }),
              compileDrill({ query, cell: {}, pageSize: 3 }, scope, dialect, options),
            ];
            for (const { sql } of statements) {
              const where = `${dialect.engine} ${dashboard.id}/${tile.id}`;
              await expect(guard(sql, ['gold']).then(() => where)).resolves.toBe(where);
              checked += 1;
            }
          }
        }
        // Cut by each period over part months: a rollup by month read with the facts' days beside it.
        for (const period of dashboard.periods) {
          const filters = period.members.map((member) => ({ member, operator: 'inDateRange' as const, values: ['2024-07-16', '2025-06-15'] }));
          for (const { tile, query } of dashboardQueries(dashboard.id, filters)) {
            const { sql } = compileQuery(query, TENANT, dialect, { ...options, rollups: manifest });
            const where = `${dialect.engine} ${dashboard.id}/${tile.id} ${period.title}`;
            await expect(guard(sql, ['gold']).then(() => where)).resolves.toBe(where);
            checked += 1;
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(400);
  });
});

describe('the model fingerprint in every cache key', () => {
  it('is stable, and moves when what a member compiles to changes (a drill list, a column)', () => {
    const before = modelFingerprint(duckdbDialect);
    expect(modelFingerprint(duckdbDialect, { fresh: true })).toBe(before);
    expect(modelFingerprint(databricksDialect)).not.toBe(before);

    const learner = CUBES.get('Learner')!;
    const overdue = learner.measures.overdueItems;
    const country = learner.dimensions.country;
    try {
      learner.measures.overdueItems = { ...overdue, rows: undefined };
      const drillChanged = modelFingerprint(duckdbDialect, { fresh: true });
      expect(drillChanged).not.toBe(before);
      learner.measures.overdueItems = overdue;
      // The column name lives in a closure: the function's text alone would not show it.
      learner.dimensions.country = { ...country, sql: (n) => `${n.learner}.country_code` };
      expect(modelFingerprint(duckdbDialect, { fresh: true })).not.toBe(before);
    } finally {
      learner.measures.overdueItems = overdue;
      learner.dimensions.country = country;
    }
    expect(modelFingerprint(duckdbDialect, { fresh: true })).toBe(before);
  });

  it("moves when what an answer's columns say changes (a code's label), since the columns are cached with the rows", () => {
    const before = modelFingerprint(duckdbDialect, { fresh: true });
    const certification = CUBES.get('Certification')!;
    const rag = certification.dimensions.rag;
    try {
      certification.dimensions.rag = { ...rag, values: rag.values!.map((v) => (v.value === 'amber' ? { ...v, label: 'Yellow' } : v)) };
      expect(modelFingerprint(duckdbDialect, { fresh: true })).not.toBe(before);
    } finally {
      certification.dimensions.rag = rag;
    }
    expect(modelFingerprint(duckdbDialect, { fresh: true })).toBe(before);
  });
});

describe('coded dimensions', () => {
  it("carry their codes' labels and tones in every answer's column, the drill list's and a rollup's too", () => {
    const query: AnalyticsQuery = { measures: ['Certification.count'], dimensions: ['Certification.rag', 'Learner.organisationName'] };
    const column = compileQuery(query, TENANT, duckdbDialect, options).columns.find((c) => c.member === 'Certification.rag');
    expect(column?.values).toEqual([
      { value: 'red', label: 'Red', tone: 'bad' },
      { value: 'amber', label: 'Amber', tone: 'warning' },
      { value: 'green', label: 'Green', tone: 'good' },
    ]);
    expect(compileQuery(query, TENANT, duckdbDialect, options).columns.find((c) => c.member === 'Learner.organisationName')).not.toHaveProperty('values');
    const drill = compileDrill({ query: { measures: ['SeminarSignup.signups'] }, cell: {}, measure: 'SeminarSignup.signups' }, TENANT, duckdbDialect, options);
    expect(drill.columns.find((c) => c.member === 'SeminarSignup.status')?.values?.find((v) => v.value === 'no_show')).toEqual({ value: 'no_show', label: 'No-show', tone: 'bad' });
    // A SCORM attempt's status in the standards' words ('not attempted' reads "Not attempted").
    const attempts = compileDrill({ query: { measures: ['Scorm.attempts'] }, cell: {}, measure: 'Scorm.attempts' }, TENANT, duckdbDialect, options);
    expect(attempts.columns.find((c) => c.member === 'Scorm.status')?.values?.map((v) => v.label)).toEqual(['Passed', 'Completed', 'Failed', 'Incomplete', 'Browsed', 'Not attempted', 'Unknown']);
    const models = rollupModels(duckdbDialect, '2025-06-30');
    const manifest = [...models[models.length - 1].sql.matchAll(/select '([^']+)' as rollup_name, '([^']+)' as table_name, '([0-9a-f]+)' as signature/g)].map(
      ([, rollup, table, signature]) => ({ rollup, table, signature, asOfKey: 20250630, rows: 10 }),
    );
    const fromRollup = compileQuery({ measures: ['CourseProgress.count'], dimensions: ['CourseProgress.status'] }, TENANT, duckdbDialect, { ...options, rollups: manifest });
    expect(fromRollup.rollup).toBeDefined();
    expect(fromRollup.columns[0]!.values?.map((v) => v.label)).toEqual(['Complete', 'Complete by RPL', 'In progress', 'Not started', 'Unknown']);
  });

  it('list each code once, with a label of its own, as meta describes them', () => {
    const meta = describeModel();
    const coded = meta.cubes.flatMap((cube) => cube.dimensions.filter((d) => d.values));
    expect(coded.map((d) => d.name)).toEqual(expect.arrayContaining(['CourseProgress.status', 'ProgramProgress.status', 'Certification.state', 'Certification.rag', 'SeminarSignup.status', 'LearningTime.source']));
    for (const d of coded) {
      expect(new Set(d.values!.map((v) => v.value)).size).toBe(d.values!.length);
      expect(new Set(d.values!.map((v) => v.label)).size).toBe(d.values!.length);
    }
  });
});
