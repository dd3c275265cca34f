import { TestTenant, type LmsExport } from './gold-fixtures';

const EXPORT: LmsExport = {
  users: [{ id: 1, username: 'ada', suspended: 0, deleted: 0 }],
  courses: [{ id: 100, fullname: 'Fire safety', coursetype: 0 }],
};

const fiscal = (t: TestTenant, dateKey: number) =>
  t.row('select fiscal_year, fiscal_quarter, fiscal_period, fiscal_year_name, from_fiscal_calendar from gold.dim_date where date_key = ?', [dateKey]);

describe('fiscal years in gold.dim_date', () => {
  describe('from the fiscal-year start month (July), without a fiscal calendar', () => {
    let t: TestTenant;
    beforeAll(async () => {
      t = await TestTenant.create();
      await t.load(EXPORT);
      await t.build('2025-03-15T00:00:00Z', { fiscalYearStartMonth: 7 });
    });
    afterAll(() => t.close());

    it('2024-06-30 is the last day of FY2024 and 2024-07-01 the first of FY2025', async () => {
      expect(await fiscal(t, 20240630)).toEqual({ fiscal_year: 2024, fiscal_quarter: 4, fiscal_period: 12, fiscal_year_name: 'FY2024', from_fiscal_calendar: false });
      expect(await fiscal(t, 20240701)).toEqual({ fiscal_year: 2025, fiscal_quarter: 1, fiscal_period: 1, fiscal_year_name: 'FY2025', from_fiscal_calendar: false });
    });

    it('counts quarters and periods from the start month', async () => {
      expect(await fiscal(t, 20241001)).toMatchObject({ fiscal_year: 2025, fiscal_quarter: 2, fiscal_period: 4 });
      expect(await fiscal(t, 20250101)).toMatchObject({ fiscal_year: 2025, fiscal_quarter: 3, fiscal_period: 7 });
    });
  });

  describe('from the default January start', () => {
    let t: TestTenant;
    beforeAll(async () => {
      t = await TestTenant.create();
      await t.load(EXPORT);
      await t.build('2025-03-15T00:00:00Z');
    });
    afterAll(() => t.close());

    it('fiscal years are calendar years', async () => {
      expect(await fiscal(t, 20240630)).toMatchObject({ fiscal_year: 2024, fiscal_quarter: 2, fiscal_period: 6 });
      expect(await fiscal(t, 20241231)).toMatchObject({ fiscal_year: 2024, fiscal_quarter: 4, fiscal_period: 12 });
      expect(await fiscal(t, 20250101)).toMatchObject({ fiscal_year: 2025, fiscal_quarter: 1, fiscal_period: 1 });
    });
  });

  describe("from the tenant's fiscal calendar (dimdates)", () => {
    let t: TestTenant;
    beforeAll(async () => {
      t = await TestTenant.create();
      // A 4-4-5 style calendar whose FY2025 starts on Saturday 2024-06-29, not on the 1st.
      await t.load(EXPORT, {
        fiscalCalendar: [
          ['2024-06-28', 2024, 4, 12],
          ['2024-06-29', 2025, 1, 1],
          ['2024-06-30', 2025, 1, 1],
          ['2024-07-01', 2025, 1, 1],
        ],
      });
      await t.build('2025-03-15T00:00:00Z', { fiscalYearStartMonth: 7 });
    });
    afterAll(() => t.close());

    it('takes the days it lists from the calendar', async () => {
      expect(await fiscal(t, 20240628)).toEqual({ fiscal_year: 2024, fiscal_quarter: 4, fiscal_period: 12, fiscal_year_name: 'FY2024', from_fiscal_calendar: true });
      expect(await fiscal(t, 20240630)).toEqual({ fiscal_year: 2025, fiscal_quarter: 1, fiscal_period: 1, fiscal_year_name: 'FY2025', from_fiscal_calendar: true });
      expect(await fiscal(t, 20240701)).toMatchObject({ fiscal_year: 2025, from_fiscal_calendar: true });
    });

    it('derives the days it does not list from the start month', async () => {
      expect(await fiscal(t, 20240627)).toMatchObject({ fiscal_year: 2024, fiscal_period: 12, from_fiscal_calendar: false });
      expect(await fiscal(t, 20240702)).toMatchObject({ fiscal_year: 2025, fiscal_period: 1, from_fiscal_calendar: false });
    });

    it("reconciles the calendar's rows into dim_date", async () => {
      const results = await t.checks();
      expect(results.filter((r) => r.status === 'failed')).toEqual([]);
      expect(results.find((r) => r.check === 'reconciliation' && r.table === 'dimdates')?.counts).toMatchObject({ read: 4, silver: 4, gold: 4 });
    });
  });

  it('refuses a fiscal-year start month outside 1-12', async () => {
    const t = await TestTenant.create();
    try {
      await t.load(EXPORT);
      await expect(t.build('2025-03-15T00:00:00Z', { fiscalYearStartMonth: 13 })).rejects.toThrow(/fiscalYearStartMonth must be a whole number from 1 to 12/);
    } finally {
      await t.close();
    }
  });
});
