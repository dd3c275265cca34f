import type { AnalyticsFilter, AnalyticsQuery, ChartKind, DashboardDefinition, DashboardPeriod, DashboardTile } from '../analytics.types';

// Dashboards are queries over the model and nothing else: no SQL of their own, so a dashboard
// gets the caller's scope, the dialect and the cache identity exactly as any other query.

/** The rows a table tile shows at a time: its whole list is paged by the warehouse, never cut. */
export const TABLE_PAGE_SIZE = 25;

const tile = (id: string, title: string, chart: ChartKind, query: AnalyticsQuery, drill = true): DashboardTile =>
  chart === 'table' ? { id, title, chart, query: wholeList(query), drill, pageSize: TABLE_PAGE_SIZE } : { id, title, chart, query, drill };

/** A table lists every row (paged), so it has no limit: exporting it gives every row, and no page says "of 1000" when there are more. */
function wholeList(query: AnalyticsQuery): AnalyticsQuery {
  if (query.limit !== undefined) throw new Error(`A table tile lists every row; its query must not set a limit (${query.measures.join(', ')}).`);
  return query;
}

/** Members of one cube: members('Certification', 'count', 'compliant') -> ['Certification.count', 'Certification.compliant']. */
const members = (cube: string, ...names: string[]) => names.map((n) => `${cube}.${n}`);

/** The values of one dimension by a measure, largest first: the top `limit` of them for a chart, all of them for a table. */
const ranked = (measures: string[], dimension: string, by: string, limit?: number): AnalyticsQuery => ({
  measures,
  dimensions: [dimension],
  order: [{ member: by, direction: 'desc' }],
  ...(limit === undefined ? {} : { limit }),
});

const byOrganisation = (measures: string[], by: string) => ranked(measures, 'Learner.organisationName', by, 50);

const ACTIVE_ONLY: AnalyticsFilter[] = [{ member: 'Learner.isActive', operator: 'equals', values: [true] }];

/** Who a learner is: every dashboard can be cut by these. */
const LEARNER_FILTERS = members('Learner', 'isActive', 'organisationName', 'organisationTree', 'positionName', 'managerName', 'department', 'country');

/** A dashboard's date ranges; their members are added to its filters (dashboardsWithPeriods). */
const period = (title: string, description: string, ...members: string[]): DashboardPeriod => ({ title, description, members });

const EVERYONE: DashboardDefinition['roles'] = ['org_admin', 'manager', 'viewer'];

const course = (...names: string[]) => members('CourseProgress', ...names);
const certification = (...names: string[]) => members('Certification', ...names);
const program = (...names: string[]) => members('ProgramProgress', ...names);

/** A dashboard can be filtered by its periods' members too. */
const withPeriodFilters = (dashboard: DashboardDefinition): DashboardDefinition => ({
  ...dashboard,
  filters: [...dashboard.filters, ...dashboard.periods.flatMap((p) => p.members).filter((m) => !dashboard.filters.includes(m))],
});

const DEFINITIONS: DashboardDefinition[] = [
  {
    id: 'course-completion',
    title: 'Course completion',
    description: 'Enrolments, completions and completion rates by organisation, course and course type.',
    tiles: [
      tile('summary', 'Course completion', 'kpi', { measures: course('count', 'completed', 'completionRate', 'averageDaysToComplete', 'learners') }),
      tile('by-organisation', 'Completion rate by organisation', 'bar', byOrganisation(course('completionRate', 'completed', 'count'), 'CourseProgress.count')),
      tile('by-course-type', 'Completion by course type', 'bar', { measures: course('count', 'completed', 'completionRate'), dimensions: course('courseType') }),
      tile('by-status', 'Enrolments by status', 'pie', { measures: course('count'), dimensions: course('status') }),
      tile('completions-by-month', 'Completions by month', 'line', {
        measures: course('completed'),
        timeDimension: { dimension: 'CourseProgress.completedDate', granularity: 'month' },
      }),
      tile('by-course', 'Courses', 'table', {
        ...ranked(course('count', 'completed', 'inProgress', 'notStarted', 'completionRate', 'averageDaysToComplete'), 'CourseProgress.courseName', 'CourseProgress.count'),
        dimensions: course('courseName', 'courseType'),
      }),
    ],
    filters: [...LEARNER_FILTERS, ...course('courseName', 'courseType', 'status')],
    defaultFilters: ACTIVE_ONLY,
    periods: [
      period('Enrolled', 'Enrolments made in the period, and how far each has got since.', 'CourseProgress.enrolledDate'),
      period('Completed', 'Only enrolments completed in the period.', 'CourseProgress.completedDate'),
    ],
    roles: EVERYONE,
    emptyState: 'No course completions loaded yet: upload course_completions.csv (with users.csv and courses.csv) to see course completion.',
  },
  {
    id: 'certification-compliance',
    title: 'Certification compliance',
    description: 'Who is compliant, overdue, expired, in the recertification window or expiring in the next 30, 60 and 90 days.',
    tiles: [
      tile('summary', 'Compliance', 'kpi', {
        measures: certification(
          'count',
          'compliant',
          'complianceRate',
          'overdue',
          'expired',
          'windowOpen',
          'expiringIn30Days',
          'expiringIn60Days',
          'expiringIn90Days',
        ),
      }),
      tile('by-state', 'Certifications by state', 'pie', { measures: certification('count'), dimensions: certification('state') }),
      tile('by-rag', 'Red, amber, green', 'pie', { measures: certification('count'), dimensions: certification('rag') }),
      tile(
        'expiring',
        'Expiring in 30, 60 and 90 days',
        'bar',
        ranked(certification('expiringIn30Days', 'expiringIn60Days', 'expiringIn90Days'), 'Certification.certificationName', 'Certification.expiringIn90Days', 50),
      ),
      tile('by-organisation', 'Compliance by organisation', 'bar', byOrganisation(certification('complianceRate', 'compliant', 'count'), 'Certification.count')),
      tile(
        'by-certification',
        'Certifications',
        'table',
        ranked(
          certification('count', 'compliant', 'complianceRate', 'overdue', 'expired', 'windowOpen', 'expiringIn30Days'),
          'Certification.certificationName',
          'Certification.count',
        ),
      ),
    ],
    filters: [...LEARNER_FILTERS, ...certification('certificationName', 'state', 'rag')],
    defaultFilters: ACTIVE_ONLY,
    periods: [period(
        'Expires',
        'Only certifications whose current cycle expires (or expired) in the period. The next 30 (60, 90) days are today and the 29 (59, 89) after it; "Expiring in 30 (60, 90) days" counts as many days from the day the data is as of.',
        'Certification.expiresDate',
      )],
    roles: EVERYONE,
    emptyState: 'No certifications loaded yet: upload cert_completions.csv (with programs.csv) to see certification compliance.',
  },
  {
    id: 'program-progress',
    title: 'Program progress',
    description: 'Program completion, what is overdue and what falls due in the next 30 days.',
    tiles: [
      tile('summary', 'Programs', 'kpi', { measures: program('count', 'completed', 'completionRate', 'overdue', 'dueIn30Days') }),
      tile('by-status', 'Assignments by status', 'pie', { measures: program('count'), dimensions: program('status') }),
      tile('by-program', 'Overdue and due soon by program', 'bar', ranked(program('overdue', 'dueIn30Days'), 'ProgramProgress.programName', 'ProgramProgress.overdue', 50)),
      tile('by-organisation', 'Overdue by organisation', 'bar', byOrganisation(program('overdue', 'overdueRate', 'count'), 'ProgramProgress.overdue')),
      tile(
        'by-program-table',
        'Programs',
        'table',
        ranked(
          program('count', 'completed', 'completionRate', 'overdue', 'dueIn30Days', 'averageDaysOverdue'),
          'ProgramProgress.programName',
          'ProgramProgress.count',
        ),
      ),
    ],
    filters: [...LEARNER_FILTERS, ...program('programName', 'status', 'isOverdue')],
    defaultFilters: ACTIVE_ONLY,
    periods: [
      period('Assigned', 'Programs assigned in the period, and how far each has got since.', 'ProgramProgress.assignedDate'),
      period('Due', 'Only programs due in the period. The next 30 days are today and the 29 after it; "Due in 30 days" counts as many days from the day the data is as of.', 'ProgramProgress.dueDate'),
    ],
    roles: EVERYONE,
    emptyState: 'No programs loaded yet: upload prog_completions.csv (with programs.csv) to see program progress.',
  },
  {
    id: 'learning-activity',
    title: 'Learning activity',
    description: 'SCORM attempts, pass rate and time; seminar attendance, no-shows and cancellations; learning hours by source.',
    tiles: [
      tile('scorm-summary', 'SCORM', 'kpi', { measures: members('Scorm', 'attempts', 'learners', 'completionRate', 'passRate', 'hours') }),
      tile('seminar-summary', 'Seminars', 'kpi', { measures: members('SeminarSignup', 'signups', 'attended', 'noShows', 'cancellations', 'attendanceRate') }),
      tile('hours-by-source', 'Learning hours by source', 'pie', { measures: ['LearningTime.hours'], dimensions: ['LearningTime.source'] }),
      tile('hours-by-month', 'Learning hours by month', 'line', {
        measures: ['LearningTime.hours'],
        dimensions: ['LearningTime.source'],
        timeDimension: { dimension: 'LearningTime.date', granularity: 'month' },
      }),
      tile('scorm-by-package', 'SCORM packages', 'bar', ranked(members('Scorm', 'attempts', 'passRate', 'hours'), 'Scorm.scormName', 'Scorm.attempts', 50)),
      tile(
        'seminars',
        'Seminars',
        'table',
        ranked(
          members('SeminarSignup', 'signups', 'attended', 'noShows', 'cancellations', 'attendanceRate'),
          'SeminarSignup.seminarName',
          'SeminarSignup.signups',
        ),
      ),
    ],
    filters: [...LEARNER_FILTERS, 'Scorm.scormName', 'SeminarSignup.seminarName', 'LearningTime.source'],
    defaultFilters: ACTIVE_ONLY,
    periods: [
      period(
        'Activity on',
        "Learning time on days in the period, SCORM attempts last accessed in it and seminar sign-ups whose status (booked, attended, no-show, cancelled) was set in it.",
        'LearningTime.date',
        'Scorm.lastAccessedDate',
        'SeminarSignup.statusDate',
      ),
    ],
    roles: EVERYONE,
    emptyState:
      'No learning activity loaded yet: upload scorm.csv and scorm_tracks.csv, or seminar_sessions.csv and seminar_signups.csv, to see SCORM, seminar and learning-time figures.',
  },
  {
    id: 'my-team',
    title: 'My team',
    description: 'The learners you see, each with their overdue, expiring and completed items: a manager their reports, an administrator everyone in the organisation.',
    tiles: [
      tile('summary', 'My team', 'kpi', { measures: members('Learner', 'count', 'overdueItems', 'expiringCertifications', 'completedItems') }),
      tile('reports', 'Reports', 'table', {
        measures: members(
          'Learner',
          'overdueItems',
          'overduePrograms',
          'overdueCertifications',
          'expiringCertifications',
          'programsDueIn30Days',
          'completedCourses',
          'completedItems',
        ),
        // The name first: it is what a manager reads a row by (the LMS id beside it tells two of one name apart).
        dimensions: members('Learner', 'fullName', 'userId', 'positionName', 'managerName'),
        order: [
          { member: 'Learner.overdueItems', direction: 'desc' },
          { member: 'Learner.fullName', direction: 'asc' },
        ],
      }),
    ],
    filters: LEARNER_FILTERS,
    defaultFilters: ACTIVE_ONLY,
    periods: [],
    roles: ['manager', 'org_admin'],
    emptyState: 'No reports under you yet: reports come from the manager assignments in job_assignments.csv.',
  },
  {
    id: 'fiscal-year-history',
    title: 'Fiscal-year history',
    description: "Each dashboard's key rates at the end of every closed fiscal year.",
    tiles: [
      historyTile('courses', 'Course completion by fiscal year', 'CourseHistory', ['completionRate', 'completed', 'count']),
      historyTile('programs', 'Program completion and overdue by fiscal year', 'ProgramHistory', ['completionRate', 'overdueRate', 'overdue', 'count']),
      historyTile('certifications', 'Certification compliance by fiscal year', 'CertificationHistory', ['complianceRate', 'overdue', 'expired', 'count']),
      historyTile('certification-courses', 'Certification course completion by fiscal year', 'CourseToCertHistory', ['completionRate', 'completed', 'count']),
    ],
    filters: LEARNER_FILTERS,
    defaultFilters: ACTIVE_ONLY,
    periods: [],
    roles: EVERYONE,
    emptyState: 'No closed fiscal year yet: history appears once a fiscal year has ended and a load has been built after it.',
  },
];

export const DASHBOARDS: DashboardDefinition[] = DEFINITIONS.map(withPeriodFilters);

/** A cube's measures per closed fiscal year, oldest first; a year before the first load has its completions, no rates or other counts, and a note why. */
function historyTile(id: string, title: string, cube: string, measures: string[]): DashboardTile {
  return tile(id, title, 'line', {
    measures: members(cube, ...measures),
    // The note is one value per year: it labels the years whose rates are empty, without splitting a year.
    dimensions: [`${cube}.fiscalYear`, `${cube}.yearEndNote`],
    filters: [{ member: `${cube}.isYearClosed`, operator: 'equals', values: [true] }],
    order: [{ member: `${cube}.fiscalYear`, direction: 'asc' }],
  });
}
