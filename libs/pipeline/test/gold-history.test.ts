import { TestTenant, unix, type LmsExport } from './gold-fixtures';

// Fiscal years start in July: FY2024 ends 2024-06-30, FY2025 ends 2025-06-30.
const JULY = { fiscalYearStartMonth: 7 };
const FIRST_AS_OF = '2024-08-15T00:00:00Z'; // in FY2025: FY2024 and before are closed
const SECOND_AS_OF = '2025-08-20T00:00:00Z'; // in FY2026: FY2025 closes

const users = Array.from({ length: 8 }, (_, i) => ({ id: i + 1, username: `u${i + 1}`, suspended: 0, deleted: 0 }));

const FIRST_LOAD: LmsExport = {
  users,
  courses: [{ id: 100, fullname: 'Fire safety', coursetype: 0 }],
  course_completions: [
    { id: 1, userid: 1, course: 100, timeenrolled: '2023-01-01', timecompleted: '2023-03-01', status: 50 }, // FY2023
    { id: 4, userid: 4, course: 100, timeenrolled: '2024-01-01', timecompleted: '2024-06-30T23:00:00Z', status: 50 }, // last day of FY2024
    { id: 5, userid: 5, course: 100, timeenrolled: '2024-01-01', timecompleted: '2024-07-01T00:30:00Z', status: 50 }, // first day of FY2025
    { id: 6, userid: 6, course: 100, timeenrolled: '2024-01-01', timestarted: '2024-01-01', status: 25 }, // in progress since FY2024
    { id: 7, userid: 7, course: 100, timeenrolled: '2024-08-01', status: 10 }, // not started
  ],
  programs: [
    { id: 300, fullname: 'Induction' },
    { id: 400, fullname: 'Fire warden', certifid: 40, activeperiod: '1 year', windowperiod: '1 month', recertifydatetype: 1 },
  ],
  prog_completions: [
    { id: 31, programid: 300, userid: 1, coursesetid: 0, status: 0, timedue: unix('2025-01-01') }, // due in FY2025
    { id: 34, programid: 300, userid: 4, coursesetid: 0, status: 1, timedue: -1, timecompleted: '2024-05-01' }, // complete in FY2024
  ],
  cert_completions: [
    // certified in FY2024, renewal window open at the first build
    { id: 41, certifid: 40, userid: 1, certifpath: 1, status: 3, renewalstatus: 1, timecompleted: '2023-09-01', timewindowopens: '2024-08-01', timeexpires: '2024-09-01' },
  ],
  program_courses: [{ programid: 400, coursesetid: 1, courseid: 100 }],
};

const SECOND_LOAD: LmsExport = {
  course_completions: [
    { id: 1, userid: 1, course: 100, timeenrolled: '2023-01-01', status: 10 }, // completion reset
    { id: 4, userid: 4, course: 100, timeenrolled: '2024-01-01', timecompleted: '2024-06-30T23:00:00Z', status: 50 },
    { id: 6, userid: 6, course: 100, timeenrolled: '2024-01-01', timestarted: '2024-01-01', timecompleted: '2025-05-01', status: 50 }, // completed in FY2025
    { id: 7, userid: 7, course: 100, timeenrolled: '2024-08-01', status: 10 },
    { id: 8, userid: 8, course: 100, timeenrolled: '2024-01-01', timecompleted: '2024-03-01', status: 50 }, // FY2024, first reported now
  ],
  prog_completions: [
    { id: 31, programid: 300, userid: 1, coursesetid: 0, status: 0, timedue: unix('2025-01-01') }, // still not complete
    { id: 34, programid: 300, userid: 4, coursesetid: 0, status: 1, timedue: -1, timecompleted: '2024-05-01' },
  ],
  cert_completions: [
    // recertified after FY2025 ended
    { id: 41, certifid: 40, userid: 1, certifpath: 2, status: 3, renewalstatus: 0, timecompleted: '2025-07-15', timewindowopens: '2026-06-15', timeexpires: '2026-07-15' },
  ],
};

const HISTORIES = ['fact_course_history', 'fact_program_history', 'fact_certification_history', 'fact_course_to_cert_history'];

describe('fiscal-year history from successive loads', () => {
  let t: TestTenant;
  const closedUpToFy2024: Record<string, unknown[]> = {};
  const closedYearRows = (table: string) => t.rows(`select * from gold.${table} where is_year_closed and fiscal_year <= 2024 order by all`);
  type HistoryRow = { fiscal_year: number; is_year_closed: boolean; status: string; basis: string };
  const course = (userId: number) =>
    t.rows<HistoryRow>('select fiscal_year, is_year_closed, status, basis from gold.fact_course_history where user_id = ? order by fiscal_year', [userId]);

  beforeAll(async () => {
    t = await TestTenant.create();
    await t.load(FIRST_LOAD);
  });

  afterAll(() => t.close());

  describe('the first build', () => {
    beforeAll(async () => {
      await t.build(FIRST_AS_OF, JULY);
      for (const table of HISTORIES) closedUpToFy2024[table] = await closedYearRows(table);
    });

    it('backfills earlier years from completion dates: complete at that year end and every later one', async () => {
      expect(await course(1)).toEqual([
        { fiscal_year: 2023, is_year_closed: true, status: 'complete', basis: 'completion_date' },
        { fiscal_year: 2024, is_year_closed: true, status: 'complete', basis: 'completion_date' },
        { fiscal_year: 2025, is_year_closed: false, status: 'complete', basis: 'last_load_in_year' },
      ]);
    });

    it('dates completions by the fiscal year end: 2024-06-30 in FY2024, 2024-07-01 in FY2025', async () => {
      expect((await course(4)).map((r) => r.fiscal_year)).toEqual([2024, 2025]);
      expect(await course(5)).toEqual([{ fiscal_year: 2025, is_year_closed: false, status: 'complete', basis: 'last_load_in_year' }]);
    });

    it('does not backfill not started or in progress: only the current year shows them', async () => {
      expect(await course(6)).toEqual([{ fiscal_year: 2025, is_year_closed: false, status: 'in_progress', basis: 'last_load_in_year' }]);
      expect(await course(7)).toEqual([{ fiscal_year: 2025, is_year_closed: false, status: 'not_started', basis: 'last_load_in_year' }]);
    });

    it('marks the years that ended before the first build as completions only, the year it was made in as observed', async () => {
      for (const table of HISTORIES) {
        expect({ table, years: await t.rows(`select distinct fiscal_year, year_end_basis from gold.${table} order by 1`) }).toEqual({
          table,
          years: [
            ...(table === 'fact_program_history' || table === 'fact_certification_history' ? [] : [{ fiscal_year: 2023, year_end_basis: 'completions_only' }]),
            { fiscal_year: 2024, year_end_basis: 'completions_only' },
            { fiscal_year: 2025, year_end_basis: 'observed' },
          ],
        });
      }
    });

    it('backfills programs and certifications, and the courses toward a certification', async () => {
      expect(await t.rows('select user_id, fiscal_year, status, is_overdue from gold.fact_program_history where is_year_closed order by all')).toEqual([
        { user_id: 4, fiscal_year: 2024, status: 'complete', is_overdue: false },
      ]);
      expect(await t.rows('select fiscal_year, is_year_closed, state, rag, is_compliant from gold.fact_certification_history order by fiscal_year')).toEqual([
        { fiscal_year: 2024, is_year_closed: true, state: 'certified', rag: 'green', is_compliant: true }, // window opened after FY2024
        { fiscal_year: 2025, is_year_closed: false, state: 'window_open', rag: 'amber', is_compliant: true },
      ]);
      expect(await t.rows('select fiscal_year, course_status from gold.fact_course_to_cert_history where is_year_closed order by all')).toEqual([
        { fiscal_year: 2023, course_status: 'complete' },
        { fiscal_year: 2024, course_status: 'complete' },
      ]);
    });
  });

  describe('a second build a fiscal year later', () => {
    beforeAll(async () => {
      await t.load(SECOND_LOAD);
      await t.build(SECOND_AS_OF, JULY);
    });

    it('does not rewrite the rows of years closed before', async () => {
      expect(closedUpToFy2024.fact_course_history).toHaveLength(3);
      for (const table of HISTORIES) expect({ table, rows: await closedYearRows(table) }).toEqual({ table, rows: closedUpToFy2024[table] });
    });

    it('keeps a closed year as it was even when a later load says otherwise', async () => {
      expect((await course(1)).filter((r) => r.fiscal_year <= 2024)).toEqual([
        { fiscal_year: 2023, is_year_closed: true, status: 'complete', basis: 'completion_date' },
        { fiscal_year: 2024, is_year_closed: true, status: 'complete', basis: 'completion_date' },
      ]);
      // reported late for FY2024: counted from FY2025 on, FY2024 stays as closed
      expect(await course(8)).toEqual([
        { fiscal_year: 2025, is_year_closed: true, status: 'complete', basis: 'completion_date' },
        { fiscal_year: 2026, is_year_closed: false, status: 'complete', basis: 'last_load_in_year' },
      ]);
    });

    it('closes the year that ended from the last load made in it, with the completions dated by its end', async () => {
      expect((await course(1)).find((r) => r.fiscal_year === 2025)).toEqual({ fiscal_year: 2025, is_year_closed: true, status: 'complete', basis: 'last_load_in_year' });
      expect((await course(6)).find((r) => r.fiscal_year === 2025)).toEqual({ fiscal_year: 2025, is_year_closed: true, status: 'complete', basis: 'completion_date' });
      expect((await course(7)).find((r) => r.fiscal_year === 2025)).toEqual({ fiscal_year: 2025, is_year_closed: true, status: 'not_started', basis: 'last_load_in_year' });
    });

    it('a program due within a closed year and not complete by its end is overdue at that year end', async () => {
      expect(await t.row('select status, is_overdue from gold.fact_program_history where user_id = 1 and fiscal_year = 2025')).toEqual({ status: 'not_started', is_overdue: true });
    });

    it('judges a certification at the year end and counts recertification cycles across loads', async () => {
      expect(await t.rows('select fiscal_year, is_year_closed, state, rag, is_compliant, completions_seen, recertifications from gold.fact_certification_history order by fiscal_year')).toEqual([
        { fiscal_year: 2024, is_year_closed: true, state: 'certified', rag: 'green', is_compliant: true, completions_seen: 1, recertifications: 0 },
        { fiscal_year: 2025, is_year_closed: true, state: 'expired', rag: 'red', is_compliant: false, completions_seen: 1, recertifications: 0 }, // expired 2024-09-01
        { fiscal_year: 2026, is_year_closed: false, state: 'certified', rag: 'green', is_compliant: true, completions_seen: 2, recertifications: 1 },
      ]);
    });

    it('keeps the years before the first build completions only and marks the year closed from a load made in it observed', async () => {
      expect(await t.rows('select distinct fiscal_year, is_year_closed, year_end_basis from gold.fact_course_history order by 1')).toEqual([
        { fiscal_year: 2023, is_year_closed: true, year_end_basis: 'completions_only' },
        { fiscal_year: 2024, is_year_closed: true, year_end_basis: 'completions_only' },
        { fiscal_year: 2025, is_year_closed: true, year_end_basis: 'observed' },
        { fiscal_year: 2026, is_year_closed: false, year_end_basis: 'observed' },
      ]);
    });

    it('records which build closed each year', async () => {
      expect(await t.rows("select fiscal_year, closed_as_of from silver.history_years where history = 'course' and fiscal_year >= 2024 order by 1")).toEqual([
        { fiscal_year: 2024, closed_as_of: '2024-08-15T00:00:00.000Z' },
        { fiscal_year: 2025, closed_as_of: '2025-08-20T00:00:00.000Z' },
      ]);
    });

    it('passes the checks: one row per user x item x fiscal year', async () => {
      expect((await t.checks()).filter((r) => r.status === 'failed')).toEqual([]);
    });

    it('changes nothing when the same build runs again', async () => {
      const before = await Promise.all(HISTORIES.map((h) => t.rows(`select * from gold.${h} order by all`)));
      await t.build(SECOND_AS_OF, JULY);
      expect(await Promise.all(HISTORIES.map((h) => t.rows(`select * from gold.${h} order by all`)))).toEqual(before);
    });
  });

  it('closes a fiscal year only once its last day is over', async () => {
    const other = await TestTenant.create();
    try {
      await other.load({ users, course_completions: [{ id: 1, userid: 1, course: 100, timecompleted: '2024-03-01', status: 50 }] });
      await other.build('2024-06-30T23:59:00Z', JULY);
      expect(await other.rows('select fiscal_year, is_year_closed from gold.fact_course_history where fiscal_year = 2024')).toEqual([{ fiscal_year: 2024, is_year_closed: false }]);
      await other.build('2024-07-01T00:00:00Z', JULY);
      expect(await other.rows('select fiscal_year, is_year_closed, basis from gold.fact_course_history where fiscal_year = 2024')).toEqual([
        { fiscal_year: 2024, is_year_closed: true, basis: 'completion_date' },
      ]);
    } finally {
      await other.close();
    }
  });
});
