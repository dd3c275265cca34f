import { factCube, historyCube, yearEndCount, yearEndRate } from './cube.util';
import { COURSE_DIMENSIONS, COURSE_NODE } from './course.cubes';
import { column, count, countWhere, dateKey, dimension, distinctLearners, rate, sum } from './measures.util';
import type { DimensionDef, JoinNode, MeasureDef } from './model.types';
import { BY_ORGANISATION, historyRollups, periodRollups } from './rollups.util';
import { coded, CERTIFICATION_COURSE_STATUS, CERTIFICATION_PATH, CERTIFICATION_STATE, RAG } from './values.util';

const CERTIFICATION_NODE: JoinNode = {
  table: 'dim_certification',
  on: (n) => `${n.certification}.certification_key = ${n.f}.certification_key`,
};

const CERTIFICATION_DIMENSIONS: Record<string, DimensionDef> = {
  certificationId: dimension('number', 'Certification id', 'The LMS certification id (certifid).', (n) => `${n.certification}.certification_id`),
  certificationName: dimension(
    'string',
    'Certification',
    'The certification name, with its short name in brackets where another certification has the same name, or its LMS id where that is shared too.',
    (n) => `${n.certification}.label`,
  ),
  activePeriod: dimension('string', 'Active period', "How long a certification stays valid ('1 year').", (n) => `${n.certification}.active_period`),
  windowPeriod: dimension('string', 'Window period', 'How long before expiry recertification opens.', (n) => `${n.certification}.window_period`),
};

/**
 * Valid at the build (compliant) and expiring in the next `days` days: the build's day and the
 * days - 1 after it, the days of the "Next 30 days" / "Next 90 days" periods (see dueWithin).
 */
const expiringIn = (days: number): MeasureDef =>
  countWhere(
    `Expiring in ${days} days`,
    `Compliant at the build and expiring in the next ${days} days: the build's day and the ${days - 1} days after it${days === 60 ? '' : `, the days of the "Next ${days} days" period`}.`,
    (n, c) => `${n.f}.is_compliant and ${n.f}.expires_date_key <= ${c.asOfKey(days - 1)}`,
  );

const ADDITIVE = [
  'count',
  'compliant',
  'complianceRate',
  'notCompliant',
  'overdue',
  'expired',
  'windowOpen',
  'certified',
  'inProgress',
  'assigned',
  'expiringIn30Days',
  'expiringIn60Days',
  'expiringIn90Days',
  'red',
  'amber',
  'green',
];
const BY_CERTIFICATION = ['Learner.isActive', 'Certification.certificationId', 'Certification.certificationName', 'Certification.state', 'Certification.rag'];

export const CERTIFICATION = factCube({
  name: 'Certification',
  title: 'Certifications',
  description: "Each learner's state on each certification assigned to them, as at the build (gold.fact_certification_progress).",
  table: 'fact_certification_progress',
  nodes: { certification: CERTIFICATION_NODE },
  measures: {
    count: count('Assignments', 'Certification assignments (learner x certification).'),
    learners: distinctLearners('Learners with at least one certification.'),
    compliant: countWhere('Compliant', 'Completed and not expired as at the build.', (n) => `${n.f}.is_compliant`),
    complianceRate: rate('Compliance rate', 'Share of assignments compliant.', (n) => `${n.f}.is_compliant`),
    notCompliant: countWhere('Not compliant', 'Not completed, or expired.', (n) => `not ${n.f}.is_compliant`),
    overdue: countWhere('Overdue', 'Not completed and past the due date (an expired certification is expired, not overdue).', (n) => `${n.f}.is_overdue`),
    expired: countWhere('Expired', "State 'expired'.", (n) => `${n.f}.state = 'expired'`),
    windowOpen: countWhere('Window open', "State 'window_open': recertification is open.", (n) => `${n.f}.state = 'window_open'`),
    certified: countWhere('Certified', "State 'certified'.", (n) => `${n.f}.state = 'certified'`),
    inProgress: countWhere('In progress', "State 'in_progress'.", (n) => `${n.f}.state = 'in_progress'`),
    assigned: countWhere('Assigned', "State 'assigned'.", (n) => `${n.f}.state = 'assigned'`),
    expiringIn30Days: expiringIn(30),
    expiringIn60Days: expiringIn(60),
    expiringIn90Days: expiringIn(90),
    red: countWhere('Red', 'RAG red: expired, or overdue.', (n) => `${n.f}.rag = 'red'`),
    amber: countWhere('Amber', 'RAG amber: due, or in the recertification window.', (n) => `${n.f}.rag = 'amber'`),
    green: countWhere('Green', 'RAG green.', (n) => `${n.f}.rag = 'green'`),
  },
  dimensions: {
    ...CERTIFICATION_DIMENSIONS,
    state: coded(column('string', 'State', "'assigned', 'in_progress', 'certified', 'window_open' or 'expired'.", 'state'), CERTIFICATION_STATE),
    rag: coded(column('string', 'RAG', "'red', 'amber' or 'green'.", 'rag'), RAG),
    isCompliant: column('boolean', 'Compliant', 'Completed and not expired as at the build.', 'is_compliant'),
    isOverdue: column('boolean', 'Overdue', 'Not completed and past the due date as at the build.', 'is_overdue'),
    certificationPath: coded(column('string', 'Path', "'certification' (first time) or 'recertification'.", 'certif_path'), CERTIFICATION_PATH),
    completedDate: dateKey('Completed', 'When the current cycle was completed.', 'completed_date_key'),
    windowOpensDate: dateKey('Window opens', 'When recertification opens.', 'window_opens_date_key'),
    expiresDate: dateKey('Expires', 'When the certification expires.', 'expires_date_key'),
    dueDate: dateKey('Due', 'When the certification is due.', 'due_date_key'),
  },
  rollups: [
    { name: 'summary', measures: [...ADDITIVE, 'learners'], dimensions: ['Learner.isActive'] },
    { name: 'byOrganisation', measures: ADDITIVE, dimensions: [...BY_ORGANISATION, 'Certification.state', 'Certification.rag'] },
    { name: 'byCertification', measures: ADDITIVE, dimensions: BY_CERTIFICATION },
    // What Certification compliance's period ("Expires") cuts.
    ...periodRollups('Certification', 'expiresDate', ADDITIVE, ['Learner.isActive', 'Certification.state', 'Certification.rag'], {
      Organisation: [...BY_ORGANISATION, 'Certification.state', 'Certification.rag'],
      Certification: BY_CERTIFICATION,
    }),
  ],
  drill: {
    order: ['Learner.fullName'],
    columns: [
      'Learner.fullName',
      'Learner.userId',
      'Learner.organisationName',
      'Certification.certificationName',
      'Certification.state',
      'Certification.rag',
      'Certification.completedDate',
      'Certification.expiresDate',
    ],
    key: ['completion_id'],
  },
});

export const CERTIFICATION_HISTORY = historyCube({
  name: 'CertificationHistory',
  title: 'Certification history by fiscal year',
  description: "Each learner x certification's state at the end of every closed fiscal year, plus the current year so far (gold.fact_certification_history).",
  table: 'fact_certification_history',
  nodes: { certification: CERTIFICATION_NODE },
  measures: {
    count: yearEndCount('Assignments', 'Learner x certification records at the fiscal year end.'),
    // A cycle since renewed is not in the facts, so a year before the first load cannot tell who was compliant.
    compliant: yearEndCount('Compliant', 'Compliant at the fiscal year end.', (n) => `${n.f}.is_compliant`),
    complianceRate: yearEndRate('Compliance rate', 'Share of assignments compliant at the fiscal year end.', (n) => `${n.f}.is_compliant`),
    overdue: yearEndCount('Overdue', 'Overdue at the fiscal year end.', (n) => `${n.f}.is_overdue`),
    expired: yearEndCount('Expired', 'Expired at the fiscal year end.', (n) => `${n.f}.state = 'expired'`),
    recertifications: sum('Recertifications', 'Certification cycles completed after the first, by the fiscal year end.', 'integer', (n) => `${n.f}.recertifications`),
  },
  dimensions: {
    ...CERTIFICATION_DIMENSIONS,
    state: coded(column('string', 'State', 'The certification state at the fiscal year end.', 'state'), CERTIFICATION_STATE),
    rag: coded(column('string', 'RAG', 'The RAG at the fiscal year end.', 'rag'), RAG),
    isCompliant: column('boolean', 'Compliant', 'Compliant at the fiscal year end.', 'is_compliant'),
    isOverdue: column('boolean', 'Overdue', 'Overdue at the fiscal year end.', 'is_overdue'),
    expiresDate: dateKey('Expires', 'When the certification expired or expires.', 'expires_date_key'),
  },
  rollups: historyRollups('CertificationHistory', ['count', 'compliant', 'complianceRate', 'overdue', 'expired', 'recertifications']),
  itemIds: ['certification_id'],
  drillColumns: ['CertificationHistory.certificationName', 'CertificationHistory.state', 'CertificationHistory.rag'],
});

export const COURSE_TO_CERTIFICATION_HISTORY = historyCube({
  name: 'CourseToCertHistory',
  title: 'Certification courses by fiscal year',
  description:
    "Each learner x certification x counting course's status at the end of every closed fiscal year, plus the current year so far (gold.fact_course_to_cert_history).",
  table: 'fact_course_to_cert_history',
  nodes: { certification: CERTIFICATION_NODE, course: COURSE_NODE },
  measures: {
    count: yearEndCount('Courses', 'Learner x certification x course records at the fiscal year end.'),
    completed: countWhere('Completed', 'Complete at the fiscal year end.', (n) => `${n.f}.is_complete`),
    completionRate: yearEndRate('Completion rate', 'Share of certification courses complete at the fiscal year end.', (n) => `${n.f}.is_complete`),
  },
  dimensions: {
    ...CERTIFICATION_DIMENSIONS,
    courseName: COURSE_DIMENSIONS.courseName,
    courseId: COURSE_DIMENSIONS.courseId,
    courseStatus: coded(column('string', 'Course status', 'The course status at the fiscal year end.', 'course_status'), CERTIFICATION_COURSE_STATUS),
    isComplete: column('boolean', 'Complete', 'Complete at the fiscal year end.', 'is_complete'),
  },
  rollups: historyRollups('CourseToCertHistory', ['count', 'completed', 'completionRate']),
  itemIds: ['certification_id', 'course_id'],
  drillColumns: ['CourseToCertHistory.certificationName', 'CourseToCertHistory.courseName', 'CourseToCertHistory.courseStatus'],
});
