import type { AnalyticsFilter, AnalyticsQuery, ChartKind, DashboardDefinition, DashboardTile } from '../analytics.types';

// Dashboards are queries over the model and nothing else: no SQL of their own, so a dashboard
// gets the caller's scope, the dialect and the cache identity exactly as any other query.

const tile = (id: string, title: string, chart: ChartKind, query: AnalyticsQuery, drill = true): DashboardTile => ({ id, title, chart, query, drill });

const ACTIVE_ONLY: AnalyticsFilter[] = [{ member: 'Learner.isActive', operator: 'equals', values: [true] }];

/** Who a learner is: every dashboard can be cut by these. */
const LEARNER_FILTERS = [
  'Learner.isActive',
  'Learner.organisationName',
  'Learner.organisationTree',
  'Learner.positionName',
  'Learner.managerName',
  'Learner.department',
  'Learner.country',
];

const EVERYONE: DashboardDefinition['roles'] = ['org_admin', 'manager', 'viewer'];

const byOrganisation = (measures: string[], order: string): AnalyticsQuery => ({
  measures,
  dimensions: ['Learner.organisationName'],
  order: [{ member: order, direction: 'desc' }],
  limit: 50,
});

export const DASHBOARDS: DashboardDefinition[] = [
  {
    id: 'course-completion',
    title: 'Course completion',
    description: 'Enrolments, completions and completion rates by organisation, course and course type.',
    tiles: [
      tile('summary', 'Course completion', 'kpi', {
        measures: ['CourseProgress.count', 'CourseProgress.completed', 'CourseProgress.completionRate', 'CourseProgress.averageDaysToComplete', 'CourseProgress.learners'],
      }),
      tile('by-organisation', 'Completion rate by organisation', 'bar', byOrganisation(['CourseProgress.completionRate', 'CourseProgress.completed', 'CourseProgress.count'], 'CourseProgress.count')),
      tile('by-course-type', 'Completion by course type', 'bar', { measures: ['CourseProgress.count', 'CourseProgress.completed', 'CourseProgress.completionRate'], dimensions: ['CourseProgress.courseType'] }),
      tile('by-status', 'Enrolments by status', 'pie', { measures: ['CourseProgress.count'], dimensions: ['CourseProgress.status'] }),
      tile('completions-by-month', 'Completions by month', 'line', {
        measures: ['CourseProgress.completed'],
        timeDimension: { dimension: 'CourseProgress.completedDate', granularity: 'month' },
      }),
      tile('by-course', 'Courses', 'table', {
        measures: ['CourseProgress.count', 'CourseProgress.completed', 'CourseProgress.inProgress', 'CourseProgress.notStarted', 'CourseProgress.completionRate', 'CourseProgress.averageDaysToComplete'],
        dimensions: ['CourseProgress.courseName', 'CourseProgress.courseType'],
        order: [{ member: 'CourseProgress.count', direction: 'desc' }],
        limit: 500,
      }),
    ],
    filters: [...LEARNER_FILTERS, 'CourseProgress.courseName', 'CourseProgress.courseType', 'CourseProgress.status'],
    defaultFilters: ACTIVE_ONLY,
    roles: EVERYONE,
    emptyState: 'No course completions loaded yet: upload course_completions.csv (with users.csv and courses.csv) to see course completion.',
  },
  {
    id: 'certification-compliance',
    title: 'Certification compliance',
    description: 'Who is compliant, overdue, expired, in the recertification window or expiring in the next 30, 60 and 90 days.',
    tiles: [
      tile('summary', 'Compliance', 'kpi', {
        measures: [
          'Certification.count',
          'Certification.compliant',
          'Certification.complianceRate',
          'Certification.overdue',
          'Certification.expired',
          'Certification.windowOpen',
          'Certification.expiringIn30Days',
          'Certification.expiringIn60Days',
          'Certification.expiringIn90Days',
        ],
      }),
      tile('by-state', 'Certifications by state', 'pie', { measures: ['Certification.count'], dimensions: ['Certification.state'] }),
      tile('by-rag', 'Red, amber, green', 'pie', { measures: ['Certification.count'], dimensions: ['Certification.rag'] }),
      tile('expiring', 'Expiring in 30, 60 and 90 days', 'bar', {
        measures: ['Certification.expiringIn30Days', 'Certification.expiringIn60Days', 'Certification.expiringIn90Days'],
        dimensions: ['Certification.certificationName'],
        order: [{ member: 'Certification.expiringIn90Days', direction: 'desc' }],
        limit: 50,
      }),
      tile('by-organisation', 'Compliance by organisation', 'bar', byOrganisation(['Certification.complianceRate', 'Certification.compliant', 'Certification.count'], 'Certification.count')),
      tile('by-certification', 'Certifications', 'table', {
        measures: [
          'Certification.count',
          'Certification.compliant',
          'Certification.complianceRate',
          'Certification.overdue',
          'Certification.expired',
          'Certification.windowOpen',
          'Certification.expiringIn30Days',
        ],
        dimensions: ['Certification.certificationName'],
        order: [{ member: 'Certification.count', direction: 'desc' }],
        limit: 500,
      }),
    ],
    filters: [...LEARNER_FILTERS, 'Certification.certificationName', 'Certification.state', 'Certification.rag'],
    defaultFilters: ACTIVE_ONLY,
    roles: EVERYONE,
    emptyState: 'No certifications loaded yet: upload cert_completions.csv (with programs.csv) to see certification compliance.',
  },
  {
    id: 'program-progress',
    title: 'Program progress',
    description: 'Program completion, what is overdue and what falls due in the next 30 days.',
    tiles: [
      tile('summary', 'Programs', 'kpi', {
        measures: ['ProgramProgress.count', 'ProgramProgress.completed', 'ProgramProgress.completionRate', 'ProgramProgress.overdue', 'ProgramProgress.dueIn30Days'],
      }),
      tile('by-status', 'Assignments by status', 'pie', { measures: ['ProgramProgress.count'], dimensions: ['ProgramProgress.status'] }),
      tile('by-program', 'Overdue and due soon by program', 'bar', {
        measures: ['ProgramProgress.overdue', 'ProgramProgress.dueIn30Days'],
        dimensions: ['ProgramProgress.programName'],
        order: [{ member: 'ProgramProgress.overdue', direction: 'desc' }],
        limit: 50,
      }),
      tile('by-organisation', 'Overdue by organisation', 'bar', byOrganisation(['ProgramProgress.overdue', 'ProgramProgress.overdueRate', 'ProgramProgress.count'], 'ProgramProgress.overdue')),
      tile('by-program-table', 'Programs', 'table', {
        measures: ['ProgramProgress.count', 'ProgramProgress.completed', 'ProgramProgress.completionRate', 'ProgramProgress.overdue', 'ProgramProgress.dueIn30Days', 'ProgramProgress.averageDaysOverdue'],
        dimensions: ['ProgramProgress.programName'],
        order: [{ member: 'ProgramProgress.count', direction: 'desc' }],
        limit: 500,
      }),
    ],
    filters: [...LEARNER_FILTERS, 'ProgramProgress.programName', 'ProgramProgress.status', 'ProgramProgress.isOverdue'],
    defaultFilters: ACTIVE_ONLY,
    roles: EVERYONE,
    emptyState: 'No programs loaded yet: upload prog_completions.csv (with programs.csv) to see program progress.',
  },
  {
    id: 'learning-activity',
    title: 'Learning activity',
    description: 'SCORM attempts, pass rate and time; seminar attendance, no-shows and cancellations; learning hours by source.',
    tiles: [
      tile('scorm-summary', 'SCORM', 'kpi', { measures: ['Scorm.attempts', 'Scorm.learners', 'Scorm.completionRate', 'Scorm.passRate', 'Scorm.hours'] }),
      tile('seminar-summary', 'Seminars', 'kpi', {
        measures: ['SeminarSignup.signups', 'SeminarSignup.attended', 'SeminarSignup.noShows', 'SeminarSignup.cancellations', 'SeminarSignup.attendanceRate'],
      }),
      tile('hours-by-source', 'Learning hours by source', 'pie', { measures: ['LearningTime.hours'], dimensions: ['LearningTime.source'] }),
      tile('hours-by-month', 'Learning hours by month', 'line', {
        measures: ['LearningTime.hours'],
        dimensions: ['LearningTime.source'],
        timeDimension: { dimension: 'LearningTime.date', granularity: 'month' },
      }),
      tile('scorm-by-package', 'SCORM packages', 'bar', {
        measures: ['Scorm.attempts', 'Scorm.passRate', 'Scorm.hours'],
        dimensions: ['Scorm.scormName'],
        order: [{ member: 'Scorm.attempts', direction: 'desc' }],
        limit: 50,
      }),
      tile('seminars', 'Seminars', 'table', {
        measures: ['SeminarSignup.signups', 'SeminarSignup.attended', 'SeminarSignup.noShows', 'SeminarSignup.cancellations', 'SeminarSignup.attendanceRate'],
        dimensions: ['SeminarSignup.seminarName'],
        order: [{ member: 'SeminarSignup.signups', direction: 'desc' }],
        limit: 500,
      }),
    ],
    filters: [...LEARNER_FILTERS, 'Scorm.scormName', 'SeminarSignup.seminarName', 'LearningTime.source'],
    defaultFilters: ACTIVE_ONLY,
    roles: EVERYONE,
    emptyState:
      'No learning activity loaded yet: upload scorm.csv and scorm_tracks.csv, or seminar_sessions.csv and seminar_signups.csv, to see SCORM, seminar and learning-time figures.',
  },
  {
    id: 'my-team',
    title: 'My team',
    description: "A manager's reports, each with their overdue, expiring and completed items.",
    tiles: [
      tile('summary', 'My team', 'kpi', {
        measures: ['Learner.count', 'Learner.overdueItems', 'Learner.expiringCertifications', 'Learner.completedItems'],
      }),
      tile('reports', 'Reports', 'table', {
        measures: [
          'Learner.overdueItems',
          'Learner.overduePrograms',
          'Learner.overdueCertifications',
          'Learner.expiringCertifications',
          'Learner.programsDueIn30Days',
          'Learner.completedCourses',
          'Learner.completedItems',
        ],
        dimensions: ['Learner.userId', 'Learner.fullName', 'Learner.positionName', 'Learner.managerName'],
        order: [
          { member: 'Learner.overdueItems', direction: 'desc' },
          { member: 'Learner.fullName', direction: 'asc' },
        ],
        limit: 1000,
      }),
    ],
    filters: LEARNER_FILTERS,
    defaultFilters: ACTIVE_ONLY,
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
    roles: EVERYONE,
    emptyState: 'No closed fiscal year yet: history appears once a fiscal year has ended and a load has been built after it.',
  },
];

function historyTile(id: string, title: string, cube: string, measures: string[]): DashboardTile {
  return tile(id, title, 'line', {
    measures: measures.map((m) => `${cube}.${m}`),
    dimensions: [`${cube}.fiscalYear`],
    filters: [{ member: `${cube}.isYearClosed`, operator: 'equals', values: [true] }],
    order: [{ member: `${cube}.fiscalYear`, direction: 'asc' }],
  });
}
