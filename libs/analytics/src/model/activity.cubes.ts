import { factCube } from './cube.util';
import { COURSE_DIMENSIONS, COURSE_NODE } from './course.cubes';
import { average, column, count, countWhere, dateKey, dimension, distinctLearners, exactly, rate, sum } from './measures.util';
import type { SqlOf } from './model.types';
import { coded, LEARNING_SOURCE, SCORM_STATUS, SCORM_SUCCESS_STATUS, SEMINAR_STATUS } from './values.util';

const SCORM_ADDITIVE = ['attempts', 'completed', 'completionRate', 'passed', 'passRate', 'averageScore', 'hours'];

export const SCORM = factCube({
  name: 'Scorm',
  title: 'SCORM attempts',
  description: 'One row per learner x SCORM package x attempt (gold.fact_scorm).',
  table: 'fact_scorm',
  nodes: { course: COURSE_NODE, scorm: { table: 'dim_scorm', on: (n) => `${n.scorm}.scorm_key = ${n.f}.scorm_key` } },
  measures: {
    attempts: count('Attempts', 'SCORM attempts.'),
    learners: distinctLearners('Learners with at least one attempt.'),
    completed: countWhere('Completed', 'Attempts complete (every SCO that reports a status).', (n) => `${n.f}.is_complete`),
    completionRate: rate('Completion rate', 'Share of attempts complete.', (n) => `${n.f}.is_complete`),
    passed: countWhere('Passed', 'Attempts passed.', (n) => `${n.f}.passed`),
    passRate: rate('Pass rate', 'Share of attempts passed.', (n) => `${n.f}.passed`),
    averageScore: average('Average score', 'Over attempts with a score.', 'decimal', (n) => `${n.f}.score`, (n) => `${n.f}.score is not null`),
    hours: sum('Hours', 'Time spent in the attempts, in hours.', 'hours', (n) => `${n.f}.total_seconds / 3600.0`),
  },
  dimensions: {
    ...COURSE_DIMENSIONS,
    scormId: dimension('number', 'SCORM id', 'The LMS SCORM package id.', (n) => `${n.scorm}.scorm_id`),
    scormName: dimension(
      'string',
      'SCORM package',
      "The package name, with its course's name in brackets where another package has the same name ('Module 1 (Fire safety)'), or its id where that is shared too.",
      (n) => `${n.scorm}.label`,
    ),
    scormVersion: column('string', 'SCORM version', "'1.2' or '2004'.", 'scorm_version'),
    status: coded(
      column(
        'string',
        'Status',
        "The lesson or completion status as the package reported it; for a package of several SCOs, the least advanced SCO's, so it reads passed only when every SCO passed and completed only when every SCO is complete.",
        'status',
      ),
      SCORM_STATUS,
    ),
    successStatus: coded(column('string', 'Success status', "SCORM 2004 success status (of several SCOs, the least advanced SCO's).", 'success_status'), SCORM_SUCCESS_STATUS),
    isComplete: column('boolean', 'Complete', 'The attempt is complete.', 'is_complete'),
    passed: column('boolean', 'Passed', 'The attempt passed.', 'passed'),
    attempt: column('number', 'Attempt', 'The attempt number.', 'attempt'),
    score: column('number', 'Score', 'The highest score of the SCOs.', 'score'),
    lastAccessedDate: dateKey('Last accessed', 'When the attempt was last touched.', 'last_accessed_date_key'),
  },
  rollups: [
    { name: 'summary', measures: [...SCORM_ADDITIVE, 'learners'], dimensions: ['Learner.isActive'] },
    { name: 'byPackage', measures: SCORM_ADDITIVE, dimensions: ['Learner.isActive', 'Scorm.scormId', 'Scorm.scormName', 'Scorm.courseName'] },
    // "Activity on" cuts the packages chart by the day an attempt was last accessed: whole months from here, part months from the facts.
    {
      name: 'byPackageLastAccessedMonth',
      measures: SCORM_ADDITIVE,
      dimensions: ['Learner.isActive', 'Scorm.scormId', 'Scorm.scormName', 'Scorm.courseName'],
      timeDimension: { dimension: 'Scorm.lastAccessedDate', granularity: 'month' },
    },
  ],
  drill: {
    order: ['Learner.fullName'],
    columns: ['Learner.fullName', 'Learner.userId', 'Scorm.scormName', 'Scorm.attempt', 'Scorm.status', 'Scorm.passed', 'Scorm.score', 'Scorm.lastAccessedDate'],
    key: ['user_id', 'scorm_id', 'attempt'],
  },
});

const SEMINAR_ADDITIVE = ['signups', 'attended', 'noShows', 'cancellations', 'booked', 'waitlisted', 'attendanceRate'];

export const SEMINAR_SIGNUP = factCube({
  name: 'SeminarSignup',
  title: 'Seminar signups',
  description: 'One row per seminar signup with its current status (gold.fact_seminar_signup).',
  table: 'fact_seminar_signup',
  nodes: {
    course: COURSE_NODE,
    event: { table: 'dim_seminar_event', on: (n) => `${n.event}.event_key = ${n.f}.session_key` },
  },
  measures: {
    signups: count('Signups', 'Seminar signups.'),
    learners: distinctLearners('Learners with at least one signup.'),
    attended: countWhere('Attended', 'Fully or partially attended.', (n) => `${n.f}.attended`),
    noShows: countWhere('No-shows', "Status 'no_show'.", (n) => `${n.f}.status = 'no_show'`),
    cancellations: countWhere('Cancellations', "Status 'cancelled'.", (n) => `${n.f}.status = 'cancelled'`),
    booked: countWhere('Booked', "Status 'booked'.", (n) => `${n.f}.status = 'booked'`),
    waitlisted: countWhere('Waitlisted', "Status 'waitlisted'.", (n) => `${n.f}.status = 'waitlisted'`),
    attendanceRate: rate(
      'Attendance rate',
      'Attended over attended plus no-shows.',
      (n) => `${n.f}.attended`,
      (n) => `(${n.f}.attended or ${n.f}.status = 'no_show')`,
    ),
  },
  dimensions: {
    ...COURSE_DIMENSIONS,
    seminarName: dimension(
      'string',
      'Seminar',
      "The seminar name, with its course's name in brackets where another seminar has the same name, or its id where that is shared too.",
      (n) => `${n.event}.seminar_label`,
    ),
    eventId: dimension('number', 'Seminar event id', 'The LMS session id of the event.', (n) => `${n.event}.session_id`),
    status: coded(column('string', 'Status', "'booked', 'waitlisted', 'attended', 'no_show', 'cancelled', 'requested', 'declined', 'approved' or 'unknown'.", 'status'), SEMINAR_STATUS),
    attended: column('boolean', 'Attended', 'Fully or partially attended.', 'attended'),
    eventDate: dimension('time', 'Event start', 'When the seminar event starts.', (n) => `${n.event}.start_date_key`),
    signedUpDate: dateKey('Signed up', 'When the learner signed up.', 'signed_up_date_key'),
    statusDate: dateKey('Status date', 'When the current status was set.', 'status_date_key'),
  },
  rollups: [
    { name: 'summary', measures: [...SEMINAR_ADDITIVE, 'learners'], dimensions: ['Learner.isActive'] },
    { name: 'bySeminar', measures: SEMINAR_ADDITIVE, dimensions: ['Learner.isActive', 'SeminarSignup.seminarName', 'SeminarSignup.courseName', 'SeminarSignup.status'] },
    // "Activity on" cuts sign-ups by the day their status was set: the summary by day, the seminars by month (part months from the facts).
    { name: 'byStatusDay', measures: SEMINAR_ADDITIVE, dimensions: ['Learner.isActive'], timeDimension: { dimension: 'SeminarSignup.statusDate', granularity: 'day' } },
    {
      name: 'bySeminarStatusMonth',
      measures: SEMINAR_ADDITIVE,
      dimensions: ['Learner.isActive', 'SeminarSignup.seminarName', 'SeminarSignup.courseName', 'SeminarSignup.status'],
      timeDimension: { dimension: 'SeminarSignup.statusDate', granularity: 'month' },
    },
  ],
  drill: {
    order: ['Learner.fullName'],
    columns: ['Learner.fullName', 'Learner.userId', 'SeminarSignup.seminarName', 'SeminarSignup.eventDate', 'SeminarSignup.status'],
    key: ['signup_id'],
  },
});

const HOURS_PER_LEARNER: SqlOf = (n) =>
  `coalesce(sum(${n.f}.seconds), 0) / 3600.0 / nullif(count(distinct case when ${n.f}.user_key <> -1 then ${n.f}.user_key end), 0)`;

export const LEARNING_TIME = factCube({
  name: 'LearningTime',
  title: 'Learning time',
  description: 'Seconds of learning per learner x day x source: SCORM time and attended seminar hours (gold.fact_learning_time).',
  table: 'fact_learning_time',
  nodes: {},
  measures: {
    hours: sum('Hours', 'Learning time in hours.', 'hours', (n) => `${n.f}.seconds / 3600.0`),
    learners: distinctLearners('Learners with any learning time.'),
    averageHoursPerLearner: {
      title: 'Hours per learner',
      description: 'Learning hours over the learners who have any.',
      format: 'hours',
      sql: HOURS_PER_LEARNER,
      rollup: exactly(HOURS_PER_LEARNER),
    },
  },
  dimensions: {
    source: coded(column('string', 'Source', "'elearning' (SCORM) or 'seminar'.", 'source'), LEARNING_SOURCE),
    seconds: column('number', 'Seconds', 'Seconds of learning of the learner on the day from the source.', 'seconds'),
    date: dateKey('Date', 'The day of the learning (UTC).', 'date_key'),
  },
  rollups: [
    { name: 'summary', measures: ['hours', 'learners', 'averageHoursPerLearner'], dimensions: ['Learner.isActive'] },
    { name: 'byDay', measures: ['hours'], dimensions: ['Learner.isActive', 'LearningTime.source'], timeDimension: { dimension: 'LearningTime.date', granularity: 'day' } },
  ],
  drill: {
    order: ['Learner.fullName'],
    columns: ['Learner.fullName', 'Learner.userId', 'LearningTime.date', 'LearningTime.source', 'LearningTime.seconds'],
    key: ['user_key', 'date_key', 'source'],
    textKeys: ['source'],
  },
});
