import { factCube, historyCube, yearEndCount, yearEndRate } from './cube.util';
import { average, column, count, countWhere, dateKey, dimension, distinctLearners, rate } from './measures.util';
import type { DimensionDef, JoinNode } from './model.types';
import { BY_ORGANISATION, historyRollups, periodRollups } from './rollups.util';
import { coded, COURSE_STATUS, COURSE_TYPE } from './values.util';

export const COURSE_NODE: JoinNode = { table: 'dim_course', on: (n) => `${n.course}.course_key = ${n.f}.course_key` };

export const COURSE_DIMENSIONS: Record<string, DimensionDef> = {
  courseId: dimension('number', 'Course id', 'The LMS course id.', (n) => `${n.course}.course_id`),
  courseName: dimension(
    'string',
    'Course',
    "The course name, with its short name in brackets where another course has the same name ('Fire safety (FS-2025)'), or its LMS id where that is shared too.",
    (n) => `${n.course}.label`,
  ),
  courseShortName: dimension('string', 'Course short name', 'The course short name.', (n) => `${n.course}.short_name`),
  courseType: coded(dimension('string', 'Course type', "'elearning', 'blended', 'seminar' or 'N/A'.", (n) => `${n.course}.course_type`), COURSE_TYPE),
};

const ADDITIVE = ['count', 'completed', 'completedRpl', 'inProgress', 'notStarted', 'completionRate', 'averageDaysToComplete'];
const BY_COURSE = ['Learner.isActive', 'CourseProgress.courseId', 'CourseProgress.courseName', 'CourseProgress.courseType', 'CourseProgress.status'];
/** What Course completion's periods ("Enrolled", "Completed") cut, kept by each of the two dates. */
const periodOf = (date: string) =>
  periodRollups('CourseProgress', date, ADDITIVE, ['Learner.isActive', 'CourseProgress.courseType', 'CourseProgress.status'], {
    Organisation: [...BY_ORGANISATION, 'CourseProgress.status'],
    Course: BY_COURSE,
  });

export const COURSE_PROGRESS = factCube({
  name: 'CourseProgress',
  title: 'Course progress',
  description: "Each learner's progress on each course they are enrolled on (gold.fact_course_progress).",
  table: 'fact_course_progress',
  nodes: { course: COURSE_NODE },
  measures: {
    count: count('Enrolments', 'Course completion records (learner x course).'),
    learners: distinctLearners('Learners with at least one course record.'),
    completed: countWhere('Completed', 'Complete or complete by RPL.', (n) => `${n.f}.is_complete`),
    completedRpl: countWhere('Completed by RPL', 'Completed by recognition of prior learning.', (n) => `${n.f}.is_rpl`),
    inProgress: countWhere('In progress', 'Started and not complete.', (n) => `${n.f}.status = 'in_progress'`),
    notStarted: countWhere('Not started', 'Enrolled and not started.', (n) => `${n.f}.status = 'not_started'`),
    completionRate: rate('Completion rate', 'Share of enrolments complete (RPL included).', (n) => `${n.f}.is_complete`),
    averageDaysToComplete: average(
      'Average days to complete',
      'Whole days from start (or enrolment) to completion, over completed records.',
      'days',
      (n) => `${n.f}.days_to_complete`,
      (n) => `${n.f}.days_to_complete is not null`,
    ),
  },
  dimensions: {
    ...COURSE_DIMENSIONS,
    status: coded(column('string', 'Status', "'not_started', 'in_progress', 'complete', 'complete_rpl' or 'unknown'.", 'status'), COURSE_STATUS),
    isComplete: column('boolean', 'Complete', 'Complete or complete by RPL.', 'is_complete'),
    daysToComplete: column('number', 'Days to complete', 'Whole days from start (or enrolment) to completion.', 'days_to_complete'),
    enrolledDate: dateKey('Enrolled', 'When the learner was enrolled.', 'enrolled_date_key'),
    startedDate: dateKey('Started', 'When the learner started.', 'started_date_key'),
    completedDate: dateKey('Completed', 'When the learner completed.', 'completed_date_key'),
  },
  rollups: [
    { name: 'summary', measures: [...ADDITIVE, 'learners'], dimensions: ['Learner.isActive'] },
    { name: 'byOrganisation', measures: ADDITIVE, dimensions: [...BY_ORGANISATION, 'CourseProgress.status'] },
    { name: 'byCourse', measures: ADDITIVE, dimensions: BY_COURSE },
    { name: 'byEnrolledMonth', measures: ADDITIVE, dimensions: ['Learner.isActive', 'CourseProgress.status'], timeDimension: { dimension: 'CourseProgress.enrolledDate', granularity: 'month' } },
    ...periodOf('enrolledDate'),
    ...periodOf('completedDate'),
  ],
  drill: {
    order: ['Learner.fullName'],
    columns: [
      'Learner.fullName',
      'Learner.userId',
      'Learner.organisationName',
      'CourseProgress.courseName',
      'CourseProgress.status',
      'CourseProgress.enrolledDate',
      'CourseProgress.completedDate',
      'CourseProgress.daysToComplete',
    ],
    key: ['completion_id'],
  },
});

export const COURSE_HISTORY = historyCube({
  name: 'CourseHistory',
  title: 'Course history by fiscal year',
  description: "Each learner x course's status at the end of every closed fiscal year, plus the current year so far (gold.fact_course_history).",
  table: 'fact_course_history',
  nodes: { course: COURSE_NODE },
  measures: {
    count: yearEndCount('Enrolments', 'Learner x course records at the fiscal year end.'),
    completed: countWhere('Completed', 'Complete (or by RPL) at the fiscal year end.', (n) => `${n.f}.is_complete`),
    completionRate: yearEndRate('Completion rate', 'Share of records complete at the fiscal year end.', (n) => `${n.f}.is_complete`),
  },
  dimensions: {
    ...COURSE_DIMENSIONS,
    status: coded(column('string', 'Status', 'The course status at the fiscal year end.', 'status'), COURSE_STATUS),
    isComplete: column('boolean', 'Complete', 'Complete (or by RPL) at the fiscal year end.', 'is_complete'),
    completedDate: dateKey('Completed', 'When the learner completed.', 'completed_date_key'),
  },
  rollups: historyRollups('CourseHistory', ['count', 'completed', 'completionRate']),
  itemIds: ['course_id'],
  drillColumns: ['CourseHistory.courseName', 'CourseHistory.status', 'CourseHistory.completedDate'],
});
