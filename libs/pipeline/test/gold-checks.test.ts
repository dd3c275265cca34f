import { TestTenant, type LmsExport } from './gold-fixtures';
import { AS_OF, GOLD_EXPORT } from './gold-export';
import type { CheckResult } from '../src';

const failed = (results: CheckResult[]) => results.filter((r) => r.status === 'failed');

// A later load: one completion changed (same key) and one row the contract refuses.
const SECOND_LOAD: LmsExport = {
  course_completions: [
    { id: 1004, userid: 4, course: 100, timeenrolled: '2025-02-01', timestarted: '2025-02-03', status: 25 },
    { id: 1099, userid: 4, course: 101, timeenrolled: '2025-02-01', status: 33 },
  ],
};

describe('checks after a build', () => {
  let t: TestTenant;

  beforeAll(async () => {
    t = await TestTenant.create();
    await t.load(GOLD_EXPORT);
    await t.load(SECOND_LOAD);
    await t.build(AS_OF);
  });

  afterAll(() => t.close());

  it('pass on a clean build, for every gold table and every source file', async () => {
    const results = await t.checks();
    expect(failed(results)).toEqual([]);
    const tables = new Set(results.filter((r) => r.check === 'unique_grain').map((r) => r.table));
    for (const table of ['gold.dim_user', 'gold.dim_date', 'gold.fact_course_progress', 'gold.fact_learning_time', 'gold.fact_certification_history', 'gold.dim_manager_relationship']) {
      expect(tables).toContain(table);
    }
    expect(results.filter((r) => r.check === 'unknown_member')).toHaveLength(10);
    expect(results.filter((r) => r.check === 'reconciliation').map((r) => r.table)).toContain('seminar_signups');
  });

  it('reconcile rows read to bronze, silver and gold with the reason for every difference', async () => {
    const results = await t.checks();
    const completions = results.find((r) => r.check === 'reconciliation' && r.table === 'course_completions')!;
    expect(completions.counts).toEqual({ read: 11, bronze: 10, quarantined: 1, silver: 9, deduplicated: 1, gold: 9 });
    expect(completions.detail).toMatch(/quarantined 1 \(1 × status "33" is not a code/);
    expect(completions.detail).toMatch(/deduplicated 1: the same key loaded again/);
    const programs = results.find((r) => r.check === 'reconciliation' && r.table === 'prog_completions')!;
    expect(programs).toMatchObject({ status: 'passed', counts: expect.objectContaining({ silver: 14, gold: 8 }) });
    expect(programs.detail).toMatch(/1 course-set rows \(coursesetid > 0\)/);
    expect(programs.detail).toMatch(/5 certifications' program rows/);
  });

  describe('on a broken gold table', () => {
    afterEach(() => t.build(AS_OF, { stages: ['gold', 'snapshots'] }));

    it('a duplicate key fails the uniqueness check', async () => {
      await t.execute('insert into gold.dim_user select * from gold.dim_user where user_key = 1');
      const result = (await t.checks()).find((r) => r.check === 'unique_grain' && r.table === 'gold.dim_user')!;
      expect(result).toMatchObject({ status: 'failed', detail: expect.stringMatching(/1 value of \(user_key\) on more than one row/) });
    });

    it('a key that is not in its dimension fails, naming the column', async () => {
      await t.execute('update gold.fact_course_progress set course_key = 12345 where completion_id = 1000');
      expect(failed(await t.checks())).toEqual([
        expect.objectContaining({ check: 'resolves_to_dimension', table: 'gold.fact_course_progress', column: 'course_key', detail: expect.stringMatching(/1 row with a course_key that is not in gold.dim_course, e.g. 12345/) }),
      ]);
    });

    it('a NULL key fails', async () => {
      await t.execute('update gold.fact_scorm set user_key = null where user_id = 4');
      expect(failed(await t.checks()).map((r) => [r.check, r.table])).toEqual([
        ['not_null_keys', 'gold.fact_scorm'],
        ['resolves_to_dimension', 'gold.fact_scorm'],
      ]);
    });

    it('a lost fact row fails reconciliation', async () => {
      await t.execute('delete from gold.fact_certification_progress where user_id = 6');
      expect(failed(await t.checks())).toEqual([
        expect.objectContaining({ check: 'reconciliation', table: 'cert_completions', detail: expect.stringMatching(/^gold has 9 rows where silver 10 less 0 explained gives 10/) }),
      ]);
    });

    it('a missing gold table fails its checks instead of throwing', async () => {
      await t.execute('drop table gold.fact_learning_time');
      expect(failed(await t.checks())).toEqual([
        expect.objectContaining({ check: 'unique_grain', table: 'gold.fact_learning_time', detail: expect.stringMatching(/^could not run: /) }),
      ]);
    });
  });
});
