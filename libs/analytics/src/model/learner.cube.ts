import { count, countWhere, dimension, sum } from './measures.util';
import type { CubeDef, DimensionDef, JoinNode, MeasureDef } from './model.types';

/**
 * The learner a fact row belongs to (gold.dim_user, their current primary organisation, position
 * and manager). Every cube joins it, so every cube can be cut by these dimensions.
 */
export const LEARNER_NODES: Record<string, JoinNode> = {
  learner: { table: 'dim_user', on: (n) => `${n.learner}.user_key = ${n.f}.user_key` },
  learner_org: { table: 'dim_organisation', on: (n) => `${n.learner_org}.organisation_key = ${n.learner}.organisation_key` },
  learner_pos: { table: 'dim_position', on: (n) => `${n.learner_pos}.position_key = ${n.learner}.position_key` },
  learner_mgr: { table: 'dim_user', on: (n) => `${n.learner_mgr}.user_key = ${n.learner}.manager_user_key` },
};

const learnerColumn = (type: DimensionDef['type'], title: string, description: string, name: string) =>
  dimension(type, title, description, (n) => `${n.learner}.${name}`);

const LEARNER_DIMENSIONS: Record<string, DimensionDef> = {
  userId: { ...learnerColumn('number', 'Learner id', 'The LMS user id.', 'user_id'), identifies: true },
  // The label, not full_name: two learners of one name are two rows of a grouping, each told apart.
  fullName: learnerColumn(
    'string',
    'Learner',
    "First and last name (the username when both are empty), with the username in brackets where another user has the same name ('David Jones (djones2)').",
    'label',
  ),
  username: learnerColumn('string', 'Username', 'The LMS username.', 'username'),
  email: learnerColumn('string', 'Email', "The learner's email address.", 'email'),
  idnumber: learnerColumn('string', 'Learner ID number', "The LMS idnumber (often the HR system's employee number).", 'idnumber'),
  department: learnerColumn('string', 'Department', 'The department field of the user record.', 'department'),
  city: learnerColumn('string', 'City', 'The city field of the user record.', 'city'),
  country: learnerColumn('string', 'Country', 'The country code of the user record.', 'country'),
  isActive: learnerColumn('boolean', 'Active', 'Neither deleted nor suspended (dashboards show active learners by default).', 'is_active'),
  organisationId: dimension('number', 'Organisation id', "The LMS id of the learner's current primary organisation.", (n) => `${n.learner_org}.organisation_id`),
  organisationName: dimension(
    'string',
    'Organisation',
    "The learner's current primary organisation: its LMS name, with its parent's in brackets where another organisation has the same name ('Payroll (Finance South)'), or its LMS id where the parent's is shared too ('Payroll (#42)').",
    (n) => `${n.learner_org}.label`,
  ),
  organisationPath: dimension(
    'string',
    'Organisation path',
    "The organisation's path of LMS ids from the top ('/1/5/9'): filter with contains or equals to take a subtree.",
    (n) => `${n.learner_org}.path`,
  ),
  organisationTree: dimension(
    'string',
    'Organisation subtree',
    "The organisation path with a trailing slash ('/1/5/9/'): contains '/5/' selects organisation 5 and every organisation under it.",
    (n) => `${n.learner_org}.path || '/'`,
  ),
  organisationDepth: dimension('number', 'Organisation depth', 'How deep the organisation sits in its framework (1 at the top).', (n) => `${n.learner_org}.depth`),
  positionId: dimension('number', 'Position id', "The LMS id of the learner's current primary position.", (n) => `${n.learner_pos}.position_id`),
  positionName: dimension('string', 'Position', "The learner's current primary position.", (n) => `${n.learner_pos}.name`),
  managerUserId: dimension('number', 'Manager id', "The LMS user id of the learner's manager as at the build (-1: none).", (n) => `${n.learner_mgr}.user_id`),
  managerName: dimension(
    'string',
    'Manager',
    "The learner's manager as at the build ('Unknown': none): their full name, with their username in brackets where another user has the same name ('David Jones (djones2)').",
    (n) => `${n.learner_mgr}.label`,
  ),
};

// Per-learner totals of the other facts, for "each of my reports with their overdue, expiring and
// completed items": one aggregate per fact, joined on the learner, so nothing fans out. Due and
// expiring "in 30 days" are the build's day and the 29 after it, as the cubes' measures (dueWithin).
const LEARNER_TOTALS: Record<string, JoinNode> = {
  course_totals: {
    table: (c) =>
      `(select user_key, count(case when is_complete then 1 end) as completed from ${c.gold('fact_course_progress')} group by user_key)`,
    reads: { fact_course_progress: ['user_key', 'is_complete'] },
    on: (n) => `${n.course_totals}.user_key = ${n.f}.user_key`,
  },
  program_totals: {
    table: (c) =>
      `(select user_key, count(case when is_complete then 1 end) as completed, count(case when is_overdue then 1 end) as overdue, ` +
      `count(case when not is_complete and is_user_active and due_date_key >= ${c.asOfKey(0)} and due_date_key <= ${c.asOfKey(29)} then 1 end) as due_soon ` +
      `from ${c.gold('fact_program_progress')} group by user_key)`,
    reads: { fact_program_progress: ['user_key', 'is_complete', 'is_overdue', 'is_user_active', 'due_date_key'] },
    on: (n) => `${n.program_totals}.user_key = ${n.f}.user_key`,
  },
  certification_totals: {
    table: (c) =>
      `(select user_key, count(case when is_completed then 1 end) as completed, count(case when is_overdue then 1 end) as overdue, ` +
      `count(case when state = 'expired' then 1 end) as expired, ` +
      `count(case when is_compliant and expires_date_key <= ${c.asOfKey(29)} then 1 end) as expiring ` +
      `from ${c.gold('fact_certification_progress')} group by user_key)`,
    reads: { fact_certification_progress: ['user_key', 'is_completed', 'is_overdue', 'state', 'is_compliant', 'expires_date_key'] },
    on: (n) => `${n.certification_totals}.user_key = ${n.f}.user_key`,
  },
};

// A total's drill list is the learners it counts something for: "Overdue items" opens the learners
// with an overdue item, not the whole team.
const total = (title: string, description: string, expr: (n: Record<string, string>) => string): MeasureDef => ({
  ...sum(title, description, 'integer', (n) => expr(n)),
  rows: (n) => `coalesce(${expr(n)}, 0) > 0`,
  // Each learner's own count beside them: "77 overdue items" opens 64 learners whose counts add up to 77.
  drillValue: (n) => `coalesce(${expr(n)}, 0)`,
});

const LEARNER_MEASURES = [
  'count',
  'active',
  'completedCourses',
  'completedPrograms',
  'completedCertifications',
  'completedItems',
  'overduePrograms',
  'overdueCertifications',
  'overdueItems',
  'programsDueIn30Days',
  'expiringCertifications',
  'expiredCertifications',
];

export const LEARNER: CubeDef = {
  name: 'Learner',
  title: 'Learners',
  description: 'Every user of the LMS export (deleted and suspended ones flagged inactive), with their organisation, position and manager.',
  table: 'dim_user',
  userKey: (n) => `${n.f}.user_key`,
  where: (n) => `${n.f}.user_key <> -1`,
  nodes: { ...LEARNER_NODES, learner: { self: true }, ...LEARNER_TOTALS },
  measures: {
    count: count('Learners', 'Users in the export.'),
    active: countWhere('Active learners', 'Users neither deleted nor suspended.', (n) => `${n.f}.is_active`),
    completedCourses: total('Completed courses', 'Courses the learner has completed (RPL included).', (n) => `${n.course_totals}.completed`),
    completedPrograms: total('Completed programs', 'Plain programs the learner has completed.', (n) => `${n.program_totals}.completed`),
    completedCertifications: total('Completed certifications', 'Certifications the learner has completed (current cycle).', (n) => `${n.certification_totals}.completed`),
    completedItems: total(
      'Completed items',
      'Courses, programs and certifications completed.',
      (n) => `coalesce(${n.course_totals}.completed, 0) + coalesce(${n.program_totals}.completed, 0) + coalesce(${n.certification_totals}.completed, 0)`,
    ),
    overduePrograms: total('Overdue programs', 'Programs past their due date and not complete, as at the build.', (n) => `${n.program_totals}.overdue`),
    overdueCertifications: total('Overdue certifications', 'Certifications past their due date and not completed, as at the build.', (n) => `${n.certification_totals}.overdue`),
    overdueItems: total(
      'Overdue items',
      'Programs and certifications overdue as at the build.',
      (n) => `coalesce(${n.program_totals}.overdue, 0) + coalesce(${n.certification_totals}.overdue, 0)`,
    ),
    programsDueIn30Days: total('Programs due in 30 days', 'Programs not complete and due in the next 30 days: the build\'s day and the 29 days after it.', (n) => `${n.program_totals}.due_soon`),
    expiringCertifications: total(
      'Certifications expiring in 30 days',
      'Certifications valid at the build that expire in the next 30 days: the build\'s day and the 29 days after it.',
      (n) => `${n.certification_totals}.expiring`,
    ),
    expiredCertifications: total('Expired certifications', 'Certifications whose state is expired.', (n) => `${n.certification_totals}.expired`),
  },
  dimensions: LEARNER_DIMENSIONS,
  // My team for an org admin: each learner's totals of the other facts, kept per learner so a
  // whole-tenant report does not aggregate every fact table (a manager's team always reads the facts).
  rollups: [
    { name: 'summary', measures: LEARNER_MEASURES, dimensions: ['Learner.isActive'] },
    {
      name: 'reports',
      measures: LEARNER_MEASURES,
      dimensions: ['Learner.isActive', 'Learner.organisationId', 'Learner.organisationName', 'Learner.userId', 'Learner.fullName', 'Learner.positionName', 'Learner.managerName'],
    },
  ],
  drill: {
    order: ['Learner.fullName'],
    columns: ['Learner.fullName', 'Learner.userId', 'Learner.email', 'Learner.organisationName', 'Learner.positionName', 'Learner.managerName'],
    key: ['user_key'],
  },
  joins: [],
};
