import { TestTenant } from './gold-fixtures';
import { AS_OF, GOLD_EXPORT } from './gold-export';

describe('gold facts, as at the build', () => {
  let t: TestTenant;

  beforeAll(async () => {
    t = await TestTenant.create();
    await t.load(GOLD_EXPORT);
    await t.build(AS_OF);
  });

  afterAll(() => t.close());

  describe('course progress', () => {
    const course = (userId: number, courseId: number) =>
      t.row('select * from gold.fact_course_progress where user_id = ? and course_id = ?', [userId, courseId]);

    it('names every status code', async () => {
      expect(await t.rows('select status_code, status from gold.fact_course_progress where user_id in (1, 4, 5, 6) order by status_code, course_id')).toEqual([
        { status_code: 0, status: 'unknown' },
        { status_code: 10, status: 'not_started' },
        { status_code: 25, status: 'in_progress' },
        { status_code: 50, status: 'complete' },
        { status_code: 50, status: 'complete' },
        { status_code: 75, status: 'complete_rpl' },
      ]);
    });

    it('counts days to complete from the start', async () => {
      expect(await course(1, 100)).toMatchObject({ started_date_key: 20250103, completed_date_key: 20250110, days_to_complete: 7, is_complete: true });
    });

    it('counts days to complete from enrolment when the course was never started', async () => {
      expect(await course(1, 101)).toMatchObject({ enrolled_date_key: 20250101, started_date_key: -1, days_to_complete: 10 });
    });

    it('an RPL completion is complete_rpl, counts as complete and keeps its grade', async () => {
      expect(await course(5, 100)).toMatchObject({ status: 'complete_rpl', is_complete: true, is_rpl: true, rpl_grade: 'Prior role', days_to_complete: 0, completed_date_key: 20250201 });
    });

    it('has no days to complete while the course is not complete', async () => {
      expect(await course(5, 101)).toMatchObject({ status: 'in_progress', is_complete: false, days_to_complete: null, completed_date_key: -1 });
    });

    it('keeps a completion whose user and course are not in the export, pointing to -1', async () => {
      expect(await course(999, 888)).toMatchObject({ user_key: -1, course_key: -1, status: 'not_started' });
    });

    it('keeps the rows of deleted and suspended users', async () => {
      expect(await t.rows('select user_key from gold.fact_course_progress where user_id in (2, 3) order by 1')).toEqual([{ user_key: 2 }, { user_key: 3 }]);
    });

    it('gives dates outside 2012-2036 the unknown date key', async () => {
      expect(await course(3, 100)).toMatchObject({ enrolled_date_key: -1, completed_date_key: -1, days_to_complete: 31 });
    });
  });

  describe('program progress', () => {
    const program = (userId: number, programId = 300) =>
      t.row('select status, is_overdue, due_date_key, due_date_problem, program_key from gold.fact_program_progress where user_id = ? and program_id = ?', [userId, programId]);

    it('a program past its due date is overdue unless complete', async () => {
      expect(await program(1)).toMatchObject({ status: 'in_progress', is_overdue: true, due_date_key: 20250305 });
      expect(await program(4)).toMatchObject({ status: 'complete', is_overdue: false, due_date_key: 20250305 });
    });

    it('a program due after as_of is not overdue', async () => {
      expect(await program(7)).toMatchObject({ status: 'not_started', is_overdue: false, due_date_key: 20250325 });
    });

    it('timedue -1 is no due date: never overdue', async () => {
      expect(await program(5)).toEqual({ status: 'not_started', is_overdue: false, due_date_key: -1, due_date_problem: null, program_key: 300 });
    });

    it('timedue 0 is flagged as a data error and is not overdue', async () => {
      expect(await program(6)).toMatchObject({ is_overdue: false, due_date_key: -1, due_date_problem: expect.stringMatching(/timedue is 0/) });
    });

    it('deleted and suspended users are never overdue, and keep their rows', async () => {
      expect(await program(2)).toMatchObject({ is_overdue: false, due_date_key: 20250305 });
      expect(await program(3)).toMatchObject({ is_overdue: false, due_date_key: 20250305 });
    });

    it("holds plain programs' program-level rows only: no course-set rows, no certification programs", async () => {
      expect(await t.rows('select distinct program_id from gold.fact_program_progress order by 1')).toEqual([{ program_id: 300 }, { program_id: 999 }]);
      expect(await t.rows('select user_id from gold.fact_program_progress where user_id = 8')).toEqual([]);
    });

    it('keeps a program that is not in the export, pointing to -1', async () => {
      expect(await program(1, 999)).toMatchObject({ program_key: -1, status: 'not_started' });
    });
  });

  describe('certification progress', () => {
    it.each([
      ['certified with the window not yet open: green and compliant', 1, { state: 'certified', rag: 'green', is_overdue: false, is_compliant: true }],
      ['in its renewal window: amber, still compliant', 4, { state: 'window_open', rag: 'amber', is_overdue: false, is_compliant: true }],
      ['expired: red, not compliant', 5, { state: 'expired', rag: 'red', is_overdue: false, is_compliant: false }],
      ['assigned and past its due date: red and overdue', 6, { state: 'assigned', rag: 'red', is_overdue: true, is_compliant: false }],
      ['in progress and due after as_of: amber', 7, { state: 'in_progress', rag: 'amber', is_overdue: false, is_compliant: false }],
      ['assigned with timedue -1: green', 8, { state: 'assigned', rag: 'green', is_overdue: false, due_date_key: -1 }],
      ['assigned with timedue 0: green, flagged', 9, { state: 'assigned', rag: 'green', is_overdue: false, due_date_problem: expect.stringMatching(/timedue is 0/) }],
      ['assigned with no program row: green', 10, { state: 'assigned', rag: 'green', is_overdue: false }],
      ['expired and past its due date: expired, not overdue', 11, { state: 'expired', rag: 'red', is_overdue: false }],
    ])('a certification %s', async (_case, userId, expected) => {
      expect(await t.row('select * from gold.fact_certification_progress where user_id = ? and certification_id = 40', [userId])).toMatchObject(expected);
    });

    it('takes its due date from the certification program and dates its cycle', async () => {
      expect(await t.row('select due_date_key, completed_date_key, window_opens_date_key, expires_date_key from gold.fact_certification_progress where user_id = 4')).toEqual({
        due_date_key: -1, completed_date_key: 20240401, window_opens_date_key: 20250301, expires_date_key: 20250401,
      });
      expect(await t.row('select due_date_key from gold.fact_certification_progress where user_id = 7')).toEqual({ due_date_key: 20250401 });
    });

    it('keeps a certification that is not in the export, pointing to -1', async () => {
      expect(await t.row('select certification_key, user_key from gold.fact_certification_progress where certification_id = 41')).toEqual({ certification_key: -1, user_key: 1 });
    });
  });

  describe('course to certification progress', () => {
    it("lists the courses of the certification's course sets on the user's path, with the user's progress", async () => {
      expect(await t.rows('select course_id, certif_path, course_status, is_complete from gold.fact_course_to_cert_progress where user_id = 1 order by course_id')).toEqual([
        { course_id: 101, certif_path: 'recertification', course_status: 'complete', is_complete: true }, // recertification path
        { course_id: 102, certif_path: 'recertification', course_status: 'not_enrolled', is_complete: false }, // on both paths
      ]);
      expect(await t.rows('select course_id, course_status from gold.fact_course_to_cert_progress where user_id = 6 order by course_id')).toEqual([
        { course_id: 100, course_status: 'unknown' }, // certification path
        { course_id: 102, course_status: 'not_enrolled' },
      ]);
    });

    it("does not count a plain program's courses toward a certification", async () => {
      expect(await t.rows('select * from gold.fact_course_to_cert_progress where course_id = 103')).toEqual([]);
    });
  });

  describe('SCORM', () => {
    const attempt = (userId: number, scormId: number, n = 1) =>
      t.row('select scorm_key, scorm_version, status, is_complete, passed, score, total_seconds from gold.fact_scorm where user_id = ? and scorm_id = ? and attempt = ?', [userId, scormId, n]);

    it('SCORM 1.2: passed is complete and passed; completed is complete, not passed; failed is neither', async () => {
      expect(await attempt(1, 500, 1)).toMatchObject({ scorm_version: '1.2', status: 'passed', is_complete: true, passed: true, score: 85 });
      expect(await attempt(1, 500, 2)).toMatchObject({ status: 'completed', is_complete: true, passed: false });
      expect(await attempt(4, 500)).toMatchObject({ status: 'failed', is_complete: false, passed: false });
    });

    it('SCORM 2004: complete from cmi.completion_status, passed from cmi.success_status', async () => {
      expect(await attempt(1, 501)).toMatchObject({ scorm_version: '2004', status: 'completed', is_complete: true, passed: false, score: 40 });
      expect(await attempt(4, 501)).toMatchObject({ status: 'incomplete', is_complete: false, passed: true });
    });

    it("SCORM 2004 ignores a 1.2 lesson_status element", async () => {
      expect(await attempt(5, 501)).toMatchObject({ status: null, is_complete: false, passed: false });
    });

    it('reads total time from HHHH:MM:SS.SS (1.2) and ISO durations (2004)', async () => {
      expect((await attempt(1, 500, 1)).total_seconds).toBe(630.5); // 0000:10:30.50
      expect((await attempt(1, 500, 2)).total_seconds).toBe(3600); // 0001:00:00
      expect((await attempt(1, 501)).total_seconds).toBe(3723); // PT1H2M3S
      expect((await attempt(4, 501)).total_seconds).toBe(2700.5); // PT45M0.5S
    });

    it('a package of two SCOs reads the status of the SCO holding it back, agreeing with its complete and passed flags', async () => {
      const six = (scormId: number, n: number) =>
        t.row('select status, success_status, is_complete, passed, scos from gold.fact_scorm where user_id = 6 and scorm_id = ? and attempt = ?', [scormId, n]);
      expect(await six(500, 1)).toMatchObject({ scos: 2, status: 'completed', is_complete: true, passed: false });
      expect(await six(500, 2)).toMatchObject({ scos: 2, status: 'incomplete', is_complete: false, passed: false });
      expect(await six(500, 3)).toMatchObject({ scos: 2, status: 'passed', is_complete: true, passed: true });
      expect(await six(501, 1)).toMatchObject({ scos: 2, status: 'incomplete', success_status: 'failed', is_complete: false, passed: false });
      expect(await six(501, 2)).toMatchObject({ scos: 2, status: 'completed', success_status: 'passed', is_complete: true, passed: true });
    });

    it('no attempt reads passed or completed while its flags say otherwise', async () => {
      expect(await t.rows(`
        select user_id, scorm_id, attempt, status from gold.fact_scorm
        where (scorm_version = '1.2' and lower(status) = 'passed' and not passed)
           or (lower(status) in ('passed', 'completed') and not is_complete)
           or (scorm_version = '2004' and lower(success_status) = 'passed' and not passed)`)).toEqual([]);
    });

    it('keeps the tracks of a package not in the export, pointing to -1 and read by their elements', async () => {
      expect(await attempt(5, 502)).toMatchObject({ scorm_key: -1, scorm_version: '1.2', is_complete: true, passed: true });
    });
  });

  describe('seminar signups', () => {
    const signup = (id: number) => t.row('select status_code, status, attended, session_key, user_key from gold.fact_seminar_signup where signup_id = ?', [id]);

    it('the current status is the row that is not superseded', async () => {
      expect(await signup(700)).toMatchObject({ status_code: 100, status: 'attended', attended: true, session_key: 600 });
      expect(await signup(701)).toMatchObject({ status_code: 10, status: 'cancelled', attended: false });
    });

    it('of several current rows, the latest is the status', async () => {
      expect(await signup(702)).toMatchObject({ status_code: 70, status: 'booked' });
    });

    it('names no shows, and counts partial attendance as attended', async () => {
      expect(await signup(703)).toMatchObject({ status: 'no_show', attended: false });
      expect(await signup(704)).toMatchObject({ status: 'attended', attended: true });
    });

    it('keeps a signup to an event not in the export, pointing to -1', async () => {
      expect(await signup(705)).toMatchObject({ status: 'requested', session_key: -1, user_key: 1 });
    });

    it('has one row per signup', async () => {
      expect(await t.row('select count(*) as n, count(distinct signup_id) as signups from gold.fact_seminar_signup')).toEqual({ n: 6, signups: 6 });
    });
  });

  describe('learning time', () => {
    it('counts SCORM time on the day its track was recorded and attended seminar hours on the session days', async () => {
      expect(await t.rows('select date_key, source, seconds from gold.fact_learning_time where user_key = 1 order by date_key, source')).toEqual([
        { date_key: 20250210, source: 'seminar', seconds: 10800 },
        { date_key: 20250211, source: 'seminar', seconds: 9000 },
        { date_key: 20250301, source: 'elearning', seconds: 630.5 + 3723 }, // two packages the same day
        { date_key: 20250302, source: 'elearning', seconds: 3600 },
      ]);
    });

    it('counts a partly attended seminar, and nothing for cancelled, no-show or booked signups', async () => {
      expect(await t.rows("select user_key, date_key, seconds from gold.fact_learning_time where source = 'seminar' and user_key <> 1 order by user_key")).toEqual([
        { user_key: 7, date_key: 20250220, seconds: 3600 },
      ]);
    });
  });
});
