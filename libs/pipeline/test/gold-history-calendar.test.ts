import type { Row } from '@kineo/warehouse';
import type { BuildOptions } from '../src';
import { TestTenant, unix, type FiscalCalendarRow, type FixtureRow, type LmsExport } from './gold-fixtures';

// A change of the fiscal calendar after history was recorded: the kept history is archived and
// built again as a first build would build it under the new calendar.

const JANUARY = 1;
const JULY = 7;
const DEC_2025 = '2025-12-15T00:00:00Z';
const AUG_2026 = '2026-08-20T00:00:00Z';
const DEC_2026 = '2026-12-10T00:00:00Z';

const users = Array.from({ length: 7 }, (_, i) => ({ id: i + 1, username: `u${i + 1}`, suspended: 0, deleted: 0 }));

const completions = (u3: { timecompleted?: string; status: number }) => [
  { id: 1, userid: 1, course: 100, timeenrolled: '2025-01-01', timecompleted: '2025-03-01', status: 50 },
  { id: 2, userid: 2, course: 100, timeenrolled: '2025-01-01', timecompleted: '2025-09-01', status: 50 },
  { id: 3, userid: 3, course: 100, timeenrolled: '2025-01-01', timestarted: '2025-10-01', ...u3 },
  { id: 4, userid: 4, course: 100, timeenrolled: '2025-01-01', timestarted: '2025-02-01', status: 25 },
  { id: 5, userid: 5, course: 100, timeenrolled: '2025-01-01', status: 10 },
  { id: 6, userid: 6, course: 100, timeenrolled: '2024-01-01', timecompleted: '2024-10-01', status: 50 },
];

const FIRST_LOAD: LmsExport = {
  users,
  courses: [{ id: 100, fullname: 'Fire safety', coursetype: 0 }],
  course_completions: completions({ status: 25 }),
  programs: [
    { id: 300, fullname: 'Induction' },
    { id: 400, fullname: 'Fire warden', certifid: 40, activeperiod: '1 year', windowperiod: '1 month', recertifydatetype: 1 },
  ],
  prog_completions: [
    { id: 31, programid: 300, userid: 1, coursesetid: 0, status: 1, timedue: -1, timecompleted: '2025-03-01' },
    { id: 32, programid: 300, userid: 2, coursesetid: 0, status: 0, timedue: unix('2025-05-01') },
  ],
  cert_completions: [
    { id: 41, certifid: 40, userid: 1, certifpath: 2, status: 3, renewalstatus: 0, timecompleted: '2025-03-01', timewindowopens: '2026-02-01', timeexpires: '2026-03-01' },
  ],
  program_courses: [{ programid: 400, coursesetid: 1, courseid: 100 }],
};

/** u3 completes the course in August 2026. */
const SECOND_LOAD: LmsExport = { course_completions: completions({ timecompleted: '2026-08-15', status: 50 }) };

const HISTORIES = ['course', 'program', 'certification', 'course_to_cert'];
const KEPT = [...HISTORIES.map((h) => `silver.${h}_history`), 'silver.history_years', 'silver.load_years'];

/** Builds as of `asOf` with the start month given, returning the warnings the build gave. */
async function build(t: TestTenant, asOf: string, fiscalYearStartMonth: number, options: Pick<BuildOptions, 'buildId' | 'onModel'> = {}): Promise<string[]> {
  const warnings: string[] = [];
  await t.build(asOf, { fiscalYearStartMonth, ...options, onWarning: (stage, warning) => void warnings.push(`${stage}: ${warning}`) });
  return warnings;
}

/** Every kept table's rows, to compare with its archive. */
async function keptRows(t: TestTenant): Promise<Record<string, Row[]>> {
  const out: Record<string, Row[]> = {};
  for (const table of KEPT) out[table] = await t.rows(`select * from ${table} order by all`);
  return out;
}

/**
 * Written independently of the models: per closed fiscal year of this build's calendar, the
 * user x course pairs whose completion is dated by its end, against the course history's closed rows.
 */
async function closedYearsAgainstCompletionDates(t: TestTenant) {
  return t.rows(`
    with bounds as (select fiscal_year, max(date) as last_day from gold.dim_date where date_key <> -1 group by fiscal_year),
    build as (select cast(as_of as date) as as_of_day from silver._build),
    expected as (
      select y.fiscal_year, p.user_id, p.course_id
      from bounds y cross join build b
      join gold.fact_course_progress p on p.is_complete and cast(p.completed_at as date) <= y.last_day
      where y.last_day < b.as_of_day
    ),
    actual as (select fiscal_year, user_id, course_id from silver.course_history where is_closed and status in ('complete', 'complete_rpl'))
    select 'missing' as what, * from (select * from expected except select * from actual)
    union all
    select 'extra' as what, * from (select * from actual except select * from expected)`);
}

type CourseRow = { fiscal_year: number; user_id: number; status: string; basis: string; year_end_basis: string };
const courseRows = (t: TestTenant, closed: boolean) =>
  t.rows<CourseRow>(
    `select fiscal_year, user_id, status, basis, year_end_basis from gold.fact_course_history where is_year_closed = ${closed} order by fiscal_year, user_id`,
  );
const yearBases = (t: TestTenant, table: string) => t.rows(`select distinct fiscal_year, is_year_closed, year_end_basis from gold.${table} order by 1`);
const closedRow = (fiscal_year: number, user_id: number): CourseRow => ({ fiscal_year, user_id, status: 'complete', basis: 'completion_date', year_end_basis: 'completions_only' });
/** The current year's rows after the second load, as the course history keeps them. */
const openInDecember2026 = (fiscal_year: number): CourseRow[] =>
  (['complete', 'complete', 'complete', 'in_progress', 'not_started', 'complete'] as const).map((status, i) => ({
    fiscal_year,
    user_id: i + 1,
    status,
    basis: 'last_load_in_year',
    year_end_basis: 'observed',
  }));

const ofYears = (rows: Row[], years: number[]) => rows.filter((r) => years.includes(Number(r.fiscal_year)));
const notOfYears = (rows: Row[], years: number[]) => rows.filter((r) => !years.includes(Number(r.fiscal_year)));

/** The archived rows of one reset, without the reset's id: what the table held before it. */
const archived = (t: TestTenant, table: string, resetId: number) =>
  t.rows(`select * exclude (reset_id) from ${table}_archive where reset_id = ${resetId} order by all`);

describe('a change of the fiscal calendar after history was recorded', () => {
  describe('January to July start, rebuilt in December 2026', () => {
    let t: TestTenant;
    let before: Record<string, Row[]>;
    let warnings: string[];

    beforeAll(async () => {
      t = await TestTenant.create();
      await t.load(FIRST_LOAD);
      await build(t, DEC_2025, JANUARY);
      await t.load(SECOND_LOAD);
      expect(await build(t, DEC_2026, JANUARY)).toEqual([]);
      // builds that keep the calendar run none of the reset statements
      expect(await t.rows("select table_name from information_schema.tables where table_name like '%_archive'")).toEqual([]);
      before = await keptRows(t);
      warnings = await build(t, DEC_2026, JULY);
    });

    afterAll(() => t.close());

    it('closes each year of the new calendar from the completions dated by its end, nothing recorded under the old one', async () => {
      // FY2025 is Jul 2024-Jun 2025, FY2026 Jul 2025-Jun 2026: u3's August 2026 completion is in neither
      expect(await courseRows(t, true)).toEqual([closedRow(2025, 1), closedRow(2025, 6), closedRow(2026, 1), closedRow(2026, 2), closedRow(2026, 6)]);
      expect(await closedYearsAgainstCompletionDates(t)).toEqual([]);
    });

    it('observes the current year (FY2027) from this build, with every open item', async () => {
      expect(await courseRows(t, false)).toEqual(openInDecember2026(2027));
    });

    it('marks every closed year completions only and only the current year observed, in every history', async () => {
      for (const h of HISTORIES) {
        const years = await yearBases(t, `fact_${h}_history`);
        expect({ h, years: years.filter((y) => y.year_end_basis === 'observed') }).toEqual({ h, years: [{ fiscal_year: 2027, is_year_closed: false, year_end_basis: 'observed' }] });
        expect({ h, closed: years.filter((y) => y.is_year_closed && y.year_end_basis !== 'completions_only') }).toEqual({ h, closed: [] });
      }
      expect(await t.rows('select fiscal_year from silver.load_years')).toEqual([{ fiscal_year: 2027 }]);
    });

    it('closes programs and certifications from completion dates too', async () => {
      expect(await t.rows('select fiscal_year, user_id, status, is_overdue from gold.fact_program_history where is_year_closed order by all')).toEqual([
        { fiscal_year: 2025, user_id: 1, status: 'complete', is_overdue: false },
        { fiscal_year: 2026, user_id: 1, status: 'complete', is_overdue: false },
      ]);
      // completed 2025-03-01, window open from 2026-02-01: within FY2026 (to 30 June 2026), expired by then (2026-03-01)
      expect(await t.rows('select fiscal_year, state, basis from gold.fact_certification_history where is_year_closed order by all')).toEqual([
        { fiscal_year: 2025, state: 'certified', basis: 'completion_date' },
        { fiscal_year: 2026, state: 'expired', basis: 'completion_date' },
      ]);
    });

    it('keeps every row recorded before in the archive', async () => {
      expect(before['silver.course_history'].length).toBeGreaterThan(0);
      for (const table of KEPT) expect({ table, rows: await archived(t, table, 1) }).toEqual({ table, rows: before[table] });
      expect(await t.rows("select table_name, archived_rows from silver.history_archive_log where table_name = 'silver.load_years'")).toEqual([
        { table_name: 'silver.load_years', archived_rows: 2 },
      ]);
    });

    it('tells the org admin on the build, naming a year whose dates changed and the observed years lost', () => {
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/^snapshots: fiscal calendar changed \(FY2026 ran 2026-01-01 to 2026-12-31, now 2025-07-01 to 2026-06-30 and 14 more years\)/);
      expect(warnings[0]).toContain('fiscal-year history rebuilt from completion dates');
      expect(warnings[0]).toContain('1 closed year was observed before (FY2025 as numbered then)');
    });

    it('passes the checks', async () => {
      expect((await t.checks()).filter((r) => r.status === 'failed')).toEqual([]);
    });

    it('resets nothing when the next build keeps the calendar', async () => {
      const gold = await Promise.all(HISTORIES.map((h) => t.rows(`select * from gold.fact_${h}_history order by all`)));
      expect(await build(t, DEC_2026, JULY)).toEqual([]);
      expect(await Promise.all(HISTORIES.map((h) => t.rows(`select * from gold.fact_${h}_history order by all`)))).toEqual(gold);
      expect(await t.rows('select distinct reset_id from silver.history_resets')).toEqual([{ reset_id: 1 }]);
    });
  });

  describe('July to January start, rebuilt in December 2026', () => {
    let t: TestTenant;
    let warnings: string[];

    beforeAll(async () => {
      t = await TestTenant.create();
      await t.load(FIRST_LOAD);
      await build(t, DEC_2025, JULY);
      await t.load(SECOND_LOAD);
      await build(t, AUG_2026, JULY); // closes FY2026 (Jul 2025-Jun 2026)
      warnings = await build(t, DEC_2026, JANUARY);
    });

    afterAll(() => t.close());

    it('makes FY2026 (now January-December 2026) the current year with its open rows, not a closed year', async () => {
      expect(await courseRows(t, false)).toEqual(openInDecember2026(2026));
      expect(await t.rows("select max(fiscal_year) as last from silver.history_years where history = 'course'")).toEqual([{ last: 2025 }]);
      expect(await t.rows('select count(*) as n from gold.fact_course_history where fiscal_year > 2026')).toEqual([{ n: 0 }]);
    });

    it('closes FY2025 (January-December 2025) from the completions dated in it', async () => {
      expect(await courseRows(t, true)).toEqual([closedRow(2024, 6), closedRow(2025, 1), closedRow(2025, 2), closedRow(2025, 6)]);
      expect(await closedYearsAgainstCompletionDates(t)).toEqual([]);
    });

    it('observes only the current year', async () => {
      expect(await t.rows('select fiscal_year from silver.load_years')).toEqual([{ fiscal_year: 2026 }]);
      expect((await yearBases(t, 'fact_course_history')).filter((y) => y.year_end_basis === 'observed')).toEqual([
        { fiscal_year: 2026, is_year_closed: false, year_end_basis: 'observed' },
      ]);
    });

    it('says which closed years were observed before', () => {
      expect(warnings).toEqual([expect.stringContaining('1 closed year was observed before (FY2026 as numbered then)')]);
      expect(warnings[0]).toContain('FY2027 ran 2026-07-01 to 2027-06-30, now 2027-01-01 to 2027-12-31 and 15 more years');
    });
  });

  it('finds a change for a tenant whose history was kept before the calendar was recorded, from the year ends it closed', async () => {
    const t = await TestTenant.create();
    try {
      await t.load(FIRST_LOAD);
      await build(t, DEC_2025, JANUARY);
      // as a release before this one left it: the history tables, no recorded calendar or resets
      for (const table of ['silver.history_calendar', 'silver.history_resets', 'silver.history_archive_log']) await t.execute(`drop table ${table}`);
      const warnings = await build(t, DEC_2025, JULY);
      expect(warnings).toEqual([expect.stringContaining('fiscal calendar changed (FY2024 ended 2024-12-31, now 2023-07-01 to 2024-06-30 and 12 more years)')]);
      expect(await closedYearsAgainstCompletionDates(t)).toEqual([]);
      expect(await t.rows('select fiscal_year from silver.load_years')).toEqual([{ fiscal_year: 2026 }]);
    } finally {
      await t.close();
    }
  });

  describe('a changed dimdates.xlsx, the build failing once after the reset and retried', () => {
    let t: TestTenant;
    let before: Record<string, Row[]>;
    let failed: unknown;
    let warnings: string[];

    beforeAll(async () => {
      t = await TestTenant.create();
      await t.load({ ...FIRST_LOAD, course_completions: [...FIRST_LOAD.course_completions!, { id: 7, userid: 7, course: 100, timecompleted: '2024-12-10', status: 50 }] });
      await build(t, DEC_2025, JANUARY);
      before = await keptRows(t);
      // December 2024 moves into FY2025: FY2024 ends 30 November 2024
      const december: FiscalCalendarRow[] = Array.from({ length: 31 }, (_, i) => [`2024-12-${String(i + 1).padStart(2, '0')}`, 2025, 1, 1]);
      await t.load({}, { fiscalCalendar: december });
      // The first attempt stops once the course history is archived, emptied and rebuilt.
      const stopAfterCourseHistory: BuildOptions['onModel'] = (r) => {
        if (r.model === 'silver.course_history') throw new Error('worker stopped');
      };
      failed = await build(t, DEC_2025, JANUARY, { buildId: 'the-build', onModel: stopAfterCourseHistory }).catch((e: unknown) => e);
      warnings = await build(t, DEC_2025, JANUARY, { buildId: 'the-build' });
    });

    it('archives what was kept before the first attempt, once, under one reset', async () => {
      expect(failed).toEqual(new Error('worker stopped'));
      expect(await t.rows('select distinct reset_id from silver.history_resets')).toEqual([{ reset_id: 1 }]);
      for (const table of KEPT) expect({ table, rows: await archived(t, table, 1) }).toEqual({ table, rows: ofYears(before[table], [2024, 2025]) });
      expect(await t.rows('select count(*) as n, count(distinct table_name) as tables from silver.history_archive_log')).toEqual([{ n: KEPT.length, tables: KEPT.length }]);
      const after = await keptRows(t);
      for (const table of KEPT) expect({ table, rows: notOfYears(after[table], [2024, 2025]) }).toEqual({ table, rows: notOfYears(before[table], [2024, 2025]) });
    });

    afterAll(() => t.close());

    it('is a calendar change: FY2024 closes again at its new end, without the December completion', async () => {
      expect(await t.rows('select fiscal_year, recorded_end_date, end_date from silver.history_resets order by 1')).toEqual([
        { fiscal_year: 2024, recorded_end_date: '2024-12-31', end_date: '2024-11-30' },
        { fiscal_year: 2025, recorded_end_date: '2025-12-31', end_date: '2025-12-31' },
      ]);
      expect((await courseRows(t, true)).filter((r) => r.fiscal_year === 2024)).toEqual([closedRow(2024, 6)]);
      expect(await closedYearsAgainstCompletionDates(t)).toEqual([]);
      expect(warnings).toEqual([expect.stringContaining('fiscal calendar changed (FY2025 ran 2025-01-01 to 2025-12-31, now 2024-12-01 to 2025-12-31 and 1 more year)')]);
      expect(warnings[0]).toContain('FY2024 rebuilt from completion dates, so it shows completions only, and FY2025 (the current year) observed from this build; the 12 other years of the history kept as recorded');
    });
  });

  describe('a dimdates.xlsx correcting one year end after years of observed loads', () => {
    // Loads at each December from 2022 to 2026 (January start): FY2022-FY2025 are closed from what
    // the loads made in them saw, FY2026 is open. The correction ends FY2023 on 30 April 2024, so
    // FY2023's end and FY2024's start change; every other year keeps its dates.
    const CHANGED = [2023, 2024];
    const courseLoad = (year: number): FixtureRow[] => [
      year < 2024
        ? { id: 1, userid: 1, course: 100, timeenrolled: '2022-01-01', timestarted: '2022-03-01', status: 25 }
        : { id: 1, userid: 1, course: 100, timeenrolled: '2022-01-01', timestarted: '2022-03-01', timecompleted: '2024-02-15', status: 50 },
      year < 2023
        ? { id: 2, userid: 2, course: 100, timeenrolled: '2022-01-01', status: 10 }
        : year < 2025
          ? { id: 2, userid: 2, course: 100, timeenrolled: '2022-01-01', timestarted: '2023-02-01', status: 25 }
          : { id: 2, userid: 2, course: 100, timeenrolled: '2022-01-01', timestarted: '2023-02-01', timecompleted: '2025-03-01', status: 50 },
      { id: 3, userid: 3, course: 100, timeenrolled: '2022-01-01', timecompleted: '2022-06-01', status: 50 },
      { id: 4, userid: 4, course: 100, timeenrolled: '2022-01-01', status: 10 },
    ];
    const programLoad = (year: number): FixtureRow[] => [
      year < 2024
        ? { id: 31, programid: 300, userid: 1, coursesetid: 0, status: 0, timedue: unix('2022-10-01') } // overdue from FY2022 on
        : { id: 31, programid: 300, userid: 1, coursesetid: 0, status: 1, timedue: unix('2022-10-01'), timecompleted: '2024-03-01' },
      { id: 32, programid: 300, userid: 2, coursesetid: 0, status: 1, timedue: -1, timecompleted: '2022-05-01' },
    ];
    const load = (year: number): LmsExport => ({ course_completions: courseLoad(year), prog_completions: programLoad(year) });
    const GOLD = HISTORIES.map((h) => `gold.fact_${h}_history`);

    let t: TestTenant;
    let before: Record<string, Row[]>;
    let goldBefore: Record<string, Row[]>;
    let warnings: string[];
    const goldRows = async () => {
      const out: Record<string, Row[]> = {};
      for (const table of GOLD) out[table] = await t.rows(`select * from ${table} order by all`);
      return out;
    };

    beforeAll(async () => {
      t = await TestTenant.create();
      await t.load({ users: users.slice(0, 4), courses: [{ id: 100, fullname: 'Fire safety', coursetype: 0 }], programs: [{ id: 300, fullname: 'Induction' }], ...load(2022) });
      await build(t, '2022-12-10T00:00:00Z', JANUARY);
      for (const year of [2023, 2024, 2025, 2026]) {
        await t.load(load(year));
        expect(await build(t, `${year}-12-10T00:00:00Z`, JANUARY)).toEqual([]);
      }
      before = await keptRows(t);
      goldBefore = await goldRows();
      const januaryToApril: FiscalCalendarRow[] = [];
      for (let day = Date.parse('2024-01-01'); day <= Date.parse('2024-04-30'); day += 86_400_000) januaryToApril.push([new Date(day).toISOString().slice(0, 10), 2023, 4, 12]);
      await t.load({}, { fiscalCalendar: januaryToApril });
      warnings = await build(t, DEC_2026, JANUARY);
    });

    afterAll(() => t.close());

    it('had observed the closed years FY2022-FY2025 before the correction', () => {
      expect(before['silver.load_years'].map((r) => r.fiscal_year)).toEqual([2022, 2023, 2024, 2025, 2026]);
    });

    it('logs only the two years whose dates changed', async () => {
      expect(await t.rows('select fiscal_year, recorded_end_date, start_date, end_date from silver.history_resets order by 1')).toEqual([
        { fiscal_year: 2023, recorded_end_date: '2023-12-31', start_date: '2023-01-01', end_date: '2024-04-30' },
        { fiscal_year: 2024, recorded_end_date: '2024-12-31', start_date: '2024-05-01', end_date: '2024-12-31' },
      ]);
    });

    it('keeps every other year as recorded, still observed, with its overdue and in-progress statuses', async () => {
      const after = await keptRows(t);
      for (const table of KEPT) expect({ table, rows: notOfYears(after[table], CHANGED) }).toEqual({ table, rows: notOfYears(before[table], CHANGED) });
      const gold = await goldRows();
      for (const table of GOLD) expect({ table, rows: notOfYears(gold[table], CHANGED) }).toEqual({ table, rows: notOfYears(goldBefore[table], CHANGED) });
      expect(await t.rows('select fiscal_year from silver.load_years order by 1')).toEqual([{ fiscal_year: 2022 }, { fiscal_year: 2025 }, { fiscal_year: 2026 }]);
      expect(await t.rows('select fiscal_year, user_id, status, is_overdue, year_end_basis from gold.fact_program_history where is_year_closed and fiscal_year = 2022 order by all')).toEqual([
        { fiscal_year: 2022, user_id: 1, status: 'not_started', is_overdue: true, year_end_basis: 'observed' },
        { fiscal_year: 2022, user_id: 2, status: 'complete', is_overdue: false, year_end_basis: 'observed' },
      ]);
    });

    it('rebuilds the two changed years from the completions dated by their new ends, completions only', async () => {
      // u1's course (15 February 2024) and program (1 March 2024) now fall in FY2023
      expect((await courseRows(t, true)).filter((r) => CHANGED.includes(r.fiscal_year))).toEqual([closedRow(2023, 1), closedRow(2023, 3), closedRow(2024, 1), closedRow(2024, 3)]);
      expect(await closedYearsAgainstCompletionDates(t)).toEqual([]);
      expect(await t.rows('select fiscal_year, user_id, status, is_overdue, year_end_basis from gold.fact_program_history where fiscal_year in (2023, 2024) order by all')).toEqual([
        { fiscal_year: 2023, user_id: 1, status: 'complete', is_overdue: false, year_end_basis: 'completions_only' },
        { fiscal_year: 2023, user_id: 2, status: 'complete', is_overdue: false, year_end_basis: 'completions_only' },
        { fiscal_year: 2024, user_id: 1, status: 'complete', is_overdue: false, year_end_basis: 'completions_only' },
        { fiscal_year: 2024, user_id: 2, status: 'complete', is_overdue: false, year_end_basis: 'completions_only' },
      ]);
      // closed at their new ends (this tenant has no certifications)
      for (const table of ['silver.history_years', 'silver.course_history', 'silver.program_history']) {
        expect({ table, ends: await t.rows(`select distinct fiscal_year, fiscal_year_end from ${table} where fiscal_year in (2023, 2024) order by 1`) }).toEqual({
          table,
          ends: [
            { fiscal_year: 2023, fiscal_year_end: '2024-04-30' },
            { fiscal_year: 2024, fiscal_year_end: '2024-12-31' },
          ],
        });
      }
    });

    it('archives exactly the rows the changed years held before', async () => {
      for (const table of KEPT) expect({ table, rows: await archived(t, table, 1) }).toEqual({ table, rows: ofYears(before[table], CHANGED) });
      expect(await t.rows('select fiscal_year, end_date from silver.history_calendar_archive where fiscal_year between 2022 and 2025 order by 1')).toEqual([
        { fiscal_year: 2022, end_date: '2022-12-31' },
        { fiscal_year: 2023, end_date: '2023-12-31' },
        { fiscal_year: 2024, end_date: '2024-12-31' },
        { fiscal_year: 2025, end_date: '2025-12-31' },
      ]);
    });

    it('tells the org admin which years were rebuilt and that the others are kept', () => {
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/^snapshots: fiscal calendar changed \(FY2024 ran 2024-01-01 to 2024-12-31, now 2024-05-01 to 2024-12-31 and 1 more year\): FY2023 and FY2024 rebuilt from completion dates, so they show completions only; /);
      expect(warnings[0]).not.toContain('fiscal-year history rebuilt');
      expect(warnings[0]).toContain('the 13 other years of the history kept as recorded');
      expect(warnings[0]).toContain('2 closed years were observed before (FY2023, FY2024)');
      const archivedRows = KEPT.reduce((n, table) => n + ofYears(before[table], CHANGED).length, 0);
      expect(warnings[0]).toContain(`the ${archivedRows} history rows recorded for them before are archived (reset 1)`);
    });

    it('passes the checks', async () => {
      expect((await t.checks()).filter((r) => r.status === 'failed')).toEqual([]);
    });
  });
});
