import { TestTenant } from './gold-fixtures';
import { AS_OF, GOLD_EXPORT } from './gold-export';

describe('gold dimensions', () => {
  let t: TestTenant;

  beforeAll(async () => {
    t = await TestTenant.create();
    await t.load(GOLD_EXPORT);
    await t.build(AS_OF);
  });

  afterAll(() => t.close());

  it.each([
    ['dim_user', 'user_key', { full_name: 'Unknown', username: 'N/A', email: 'N/A', organisation_key: -1, position_key: -1, manager_user_key: -1, is_active: false }],
    ['dim_organisation', 'organisation_key', { name: 'Unknown', path: 'N/A', parent_key: -1 }],
    ['dim_position', 'position_key', { name: 'Unknown', path: 'N/A', parent_key: -1 }],
    ['dim_course', 'course_key', { name: 'Unknown', course_type: 'N/A' }],
    ['dim_program', 'program_key', { name: 'Unknown' }],
    ['dim_certification', 'certification_key', { name: 'Unknown', active_period: 'N/A', window_period: 'N/A', recertify_type: 'N/A' }],
    ['dim_scorm', 'scorm_key', { name: 'Unknown', course_key: -1, version: 'N/A' }],
    ['dim_seminar_event', 'event_key', { seminar_name: 'Unknown', course_key: -1 }],
    ['dim_seminar_session', 'seminar_session_key', { event_key: -1, date_key: -1 }],
    ['dim_date', 'date_key', { date: null, fiscal_year_name: 'N/A' }],
  ])('%s has one -1 Unknown member', async (table, key, expected) => {
    const members = await t.rows(`select * from gold.${table} where ${key} = -1`);
    expect(members).toHaveLength(1);
    expect(members[0]).toMatchObject(expected);
  });

  it('names users, with their manager from the hierarchy', async () => {
    expect(await t.row('select user_id, username, full_name, email, manager_user_key, is_active from gold.dim_user where user_key = 5')).toEqual({
      user_id: 5, username: 'eve', full_name: 'Eve Test', email: 'eve@example.org', manager_user_key: 1, is_active: true,
    });
  });

  it('a user is labelled by their full name, told apart from another of the same name by their username, then by their LMS id', async () => {
    expect(await t.rows('select user_key, full_name, label from gold.dim_user where user_key in (-1, 1, 5, 13, 14, 15) order by 1')).toEqual([
      { user_key: -1, full_name: 'Unknown', label: 'Unknown' },
      { user_key: 1, full_name: 'Ada Test', label: 'Ada Test (ada)' },
      { user_key: 5, full_name: 'Eve Test', label: 'Eve Test' },
      { user_key: 13, full_name: 'Ada Test', label: 'Ada Test (ada2)' },
      { user_key: 14, full_name: 'Sam Test', label: 'Sam Test (#14)' },
      { user_key: 15, full_name: 'Sam Test', label: 'Sam Test (#15)' },
    ]);
  });

  it('a user whose manager was deleted has manager_user_key -1', async () => {
    expect(await t.row('select manager_user_key from gold.dim_user where user_key = 4')).toEqual({ manager_user_key: -1 });
  });

  it('a user without names is named by their username', async () => {
    expect(await t.row('select full_name, email from gold.dim_user where user_key = 12')).toEqual({ full_name: 'noname', email: 'N/A' });
  });

  it('deleted and suspended users are in the dimension, flagged inactive', async () => {
    expect(await t.rows('select user_key, is_active, is_deleted, is_suspended from gold.dim_user where user_key in (2, 3) order by user_key')).toEqual([
      { user_key: 2, is_active: false, is_deleted: true, is_suspended: false },
      { user_key: 3, is_active: false, is_deleted: false, is_suspended: true },
    ]);
  });

  it("a user's organisation and position come from their primary job assignment, -1 when not in the export", async () => {
    expect(await t.rows('select user_key, organisation_key, position_key from gold.dim_user where user_key in (1, 5, 12) order by user_key')).toEqual([
      { user_key: 1, organisation_key: 11, position_key: 20 }, // sortorder 1, not the second assignment's 12/21
      { user_key: 5, organisation_key: -1, position_key: -1 }, // organisation 77 is not in organisations.csv
      { user_key: 12, organisation_key: -1, position_key: -1 }, // no job assignment
    ]);
  });

  it('organisations and positions carry their path, parent (-1 at the top or when missing) and depth', async () => {
    expect(await t.rows('select organisation_key, name, path, parent_key, depth from gold.dim_organisation where organisation_key <> -1 and organisation_key < 13 order by 1')).toEqual([
      { organisation_key: 10, name: 'Head office', path: '/10', parent_key: -1, depth: 1 },
      { organisation_key: 11, name: 'Operations', path: '/10/11', parent_key: 10, depth: 2 },
      { organisation_key: 12, name: 'Lost branch', path: '/99/12', parent_key: -1, depth: 2 }, // depth counted from the path
    ]);
    expect(await t.row('select name, path, parent_key, depth from gold.dim_position where position_key = 21')).toEqual({
      name: 'Engineer', path: '/20/21', parent_key: 20, depth: 2,
    });
  });

  it('an organisation is labelled by its name, told apart from another of the same name by its parent, then by its LMS id', async () => {
    expect(await t.rows('select organisation_key, name, label from gold.dim_organisation order by 1')).toEqual([
      { organisation_key: -1, name: 'Unknown', label: 'Unknown' },
      { organisation_key: 10, name: 'Head office', label: 'Head office' },
      { organisation_key: 11, name: 'Operations', label: 'Operations' },
      { organisation_key: 12, name: 'Lost branch', label: 'Lost branch' },
      { organisation_key: 13, name: 'Payroll', label: 'Payroll (Head office)' },
      { organisation_key: 14, name: 'Payroll', label: 'Payroll (Operations)' },
      { organisation_key: 15, name: 'Team', label: 'Team (#15)' },
      { organisation_key: 16, name: 'Team', label: 'Team (#16)' },
    ]);
  });

  it('a course, program, certification, SCORM package or seminar is labelled by its name, told apart from another of the same name by its short name (a package or seminar: its course), then by its LMS id', async () => {
    expect(await t.rows('select course_key, label from gold.dim_course order by 1')).toEqual([
      { course_key: -1, label: 'Unknown' },
      { course_key: 100, label: 'Fire safety (FS)' },
      { course_key: 101, label: 'First aid' },
      { course_key: 102, label: 'Evacuation drill' },
      { course_key: 103, label: 'Old course' },
      { course_key: 104, label: 'Fire safety (FS-2)' },
      { course_key: 105, label: 'Fire safety (#105)' },
    ]);
    expect(await t.rows('select program_key, label from gold.dim_program order by 1')).toEqual([
      { program_key: -1, label: 'Unknown' },
      { program_key: 300, label: 'Induction' },
    ]);
    expect(await t.rows('select certification_key, label from gold.dim_certification order by 1')).toEqual([
      { certification_key: -1, label: 'Unknown' },
      { certification_key: 40, label: 'Fire warden' },
    ]);
    // A SCORM package by its course's name.
    expect(await t.rows('select scorm_key, label from gold.dim_scorm order by 1')).toEqual([
      { scorm_key: -1, label: 'Unknown' },
      { scorm_key: 500, label: 'Fire safety 1.2' },
      { scorm_key: 501, label: 'Fire safety 2004 (Fire safety)' },
      { scorm_key: 509, label: 'Fire safety 2004 (First aid)' },
    ]);
    // A seminar by its course's name, the same label on each of its events.
    expect(await t.rows('select event_key, seminar_id, seminar_label from gold.dim_seminar_event order by 1')).toEqual([
      { event_key: -1, seminar_id: null, seminar_label: 'Unknown' },
      { event_key: 600, seminar_id: 60, seminar_label: 'Evacuation drill (Evacuation drill)' },
      { event_key: 601, seminar_id: 60, seminar_label: 'Evacuation drill (Evacuation drill)' },
      { event_key: 609, seminar_id: 69, seminar_label: 'Evacuation drill (First aid)' },
    ]);
  });

  it('courses are typed elearning, blended or seminar, and hidden courses are left out of dashboards', async () => {
    expect(await t.rows('select course_key, course_id, name, course_type, include_in_dashboard from gold.dim_course where course_key between 0 and 103 order by 1')).toEqual([
      { course_key: 100, course_id: 100, name: 'Fire safety', course_type: 'elearning', include_in_dashboard: true },
      { course_key: 101, course_id: 101, name: 'First aid', course_type: 'blended', include_in_dashboard: true },
      { course_key: 102, course_id: 102, name: 'Evacuation drill', course_type: 'seminar', include_in_dashboard: true },
      { course_key: 103, course_id: 103, name: 'Old course', course_type: 'elearning', include_in_dashboard: false },
    ]);
  });

  it('a program with a certifid is a certification, with its periods and recertification type', async () => {
    expect(await t.rows('select program_key, name from gold.dim_program where program_key <> -1')).toEqual([{ program_key: 300, name: 'Induction' }]);
    expect(await t.rows('select certification_key, certification_id, program_id, name, active_period, window_period, recertify_type from gold.dim_certification where certification_key <> -1')).toEqual([
      { certification_key: 40, certification_id: 40, program_id: 400, name: 'Fire warden', active_period: '1 year', window_period: '1 month', recertify_type: 'completion_date' },
    ]);
  });

  it('a SCORM package carries its course and version', async () => {
    expect(await t.rows('select scorm_key, course_key, version, scorm_version, grading_method from gold.dim_scorm where scorm_key in (500, 501) order by 1')).toEqual([
      { scorm_key: 500, course_key: 100, version: 'SCORM_12', scorm_version: '1.2', grading_method: 'highest' },
      { scorm_key: 501, course_key: 100, version: 'SCORM_13', scorm_version: '2004', grading_method: 'last' },
    ]);
  });

  it('a seminar event starts at its earliest session and ends at its latest, one session row per date', async () => {
    expect(await t.row('select course_key, session_dates, start_date_key, end_date_key, scheduled_seconds from gold.dim_seminar_event where event_key = 600')).toEqual({
      course_key: 102, session_dates: 2, start_date_key: 20250210, end_date_key: 20250211, scheduled_seconds: 19800,
    });
    expect(await t.rows('select date_key, duration_seconds from gold.dim_seminar_session where event_key = 600 order by date_key')).toEqual([
      { date_key: 20250210, duration_seconds: 10800 },
      { date_key: 20250211, duration_seconds: 9000 },
    ]);
  });

  it('the date dimension holds every day of 2012 to 2036 and the unknown date', async () => {
    expect(await t.row("select count(*) as days, min(date) as first, max(date) as last from gold.dim_date where date_key <> -1")).toEqual({
      days: 9132, first: '2012-01-01', last: '2036-12-31',
    });
    expect(await t.row('select date, year, month, day_of_month from gold.dim_date where date_key = 20240229')).toEqual({ date: '2024-02-29', year: 2024, month: 2, day_of_month: 29 });
  });
});
