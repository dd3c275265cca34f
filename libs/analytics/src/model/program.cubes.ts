import { factCube, historyCube, yearEndCount, yearEndRate } from './cube.util';
import { average, column, count, countWhere, dateKey, dimension, distinctLearners, rate } from './measures.util';
import type { DimensionDef, JoinNode, SqlOf } from './model.types';
import { BY_ORGANISATION, historyRollups, periodRollups } from './rollups.util';
import { coded, PROGRAM_STATUS } from './values.util';

const PROGRAM_NODE: JoinNode = { table: 'dim_program', on: (n) => `${n.program}.program_key = ${n.f}.program_key` };

const PROGRAM_DIMENSIONS: Record<string, DimensionDef> = {
  programId: dimension('number', 'Program id', 'The LMS program id.', (n) => `${n.program}.program_id`),
  programName: dimension(
    'string',
    'Program',
    'The program name, with its short name in brackets where another program has the same name, or its LMS id where that is shared too.',
    (n) => `${n.program}.label`,
  ),
};

/**
 * Not complete and due in the next `days` days (inactive learners are never due, as never overdue).
 * The next N days are the build's day and the N - 1 days after it, as the "Next 30 days" period is
 * today and the 29 after, and "Last 30 days" today and the 29 before: the same words, the same days.
 */
const dueWithin =
  (days: number): SqlOf =>
  (n, c) =>
    `not ${n.f}.is_complete and ${n.f}.is_user_active and ${n.f}.due_date_key >= ${c.asOfKey(0)} and ${n.f}.due_date_key <= ${c.asOfKey(days - 1)}`;

const ADDITIVE = ['count', 'completed', 'inProgress', 'notStarted', 'completionRate', 'overdue', 'overdueRate', 'dueIn30Days', 'averageDaysOverdue'];
const BY_PROGRAM = ['Learner.isActive', 'ProgramProgress.programId', 'ProgramProgress.programName', 'ProgramProgress.status', 'ProgramProgress.isOverdue'];
/** What Program progress's periods ("Assigned", "Due") cut, kept by each of the two dates. */
const periodOf = (date: string) =>
  periodRollups('ProgramProgress', date, ADDITIVE, ['Learner.isActive', 'ProgramProgress.status', 'ProgramProgress.isOverdue'], {
    Organisation: [...BY_ORGANISATION, 'ProgramProgress.status', 'ProgramProgress.isOverdue'],
    Program: BY_PROGRAM,
  });

export const PROGRAM_PROGRESS = factCube({
  name: 'ProgramProgress',
  title: 'Program progress',
  description: "Each learner's progress on each plain program assigned to them (gold.fact_program_progress).",
  table: 'fact_program_progress',
  nodes: { program: PROGRAM_NODE },
  measures: {
    count: count('Assignments', 'Program assignments (learner x program).'),
    learners: distinctLearners('Learners with at least one program.'),
    completed: countWhere('Completed', 'Complete programs.', (n) => `${n.f}.is_complete`),
    inProgress: countWhere('In progress', 'Started and not complete.', (n) => `${n.f}.status = 'in_progress'`),
    notStarted: countWhere('Not started', 'Assigned and not started.', (n) => `${n.f}.status = 'not_started'`),
    completionRate: rate('Completion rate', 'Share of assignments complete.', (n) => `${n.f}.is_complete`),
    overdue: countWhere('Overdue', 'Not complete and past the due date as at the build (active learners).', (n) => `${n.f}.is_overdue`),
    overdueRate: rate('Overdue rate', 'Share of assignments overdue.', (n) => `${n.f}.is_overdue`),
    dueIn30Days: countWhere(
      'Due in 30 days',
      'Not complete and due in the next 30 days: the build\'s day and the 29 days after it, the days of the "Next 30 days" period.',
      dueWithin(30),
    ),
    averageDaysOverdue: average('Average days overdue', 'Over overdue assignments.', 'days', (n) => `${n.f}.days_overdue`, (n) => `${n.f}.is_overdue`),
  },
  dimensions: {
    ...PROGRAM_DIMENSIONS,
    status: coded(column('string', 'Status', "'not_started', 'in_progress' or 'complete'.", 'status'), PROGRAM_STATUS),
    isComplete: column('boolean', 'Complete', 'The program is complete.', 'is_complete'),
    isOverdue: column('boolean', 'Overdue', 'Not complete and past the due date as at the build.', 'is_overdue'),
    daysOverdue: column('number', 'Days overdue', 'Whole days past the due date, as at the build.', 'days_overdue'),
    assignedDate: dateKey('Assigned', 'When the program was assigned.', 'assigned_date_key'),
    startedDate: dateKey('Started', 'When the learner started.', 'started_date_key'),
    dueDate: dateKey('Due', 'When the program is due.', 'due_date_key'),
    completedDate: dateKey('Completed', 'When the learner completed.', 'completed_date_key'),
  },
  rollups: [
    { name: 'summary', measures: [...ADDITIVE, 'learners'], dimensions: ['Learner.isActive'] },
    { name: 'byOrganisation', measures: ADDITIVE, dimensions: [...BY_ORGANISATION, 'ProgramProgress.status', 'ProgramProgress.isOverdue'] },
    { name: 'byProgram', measures: ADDITIVE, dimensions: BY_PROGRAM },
    ...periodOf('assignedDate'),
    ...periodOf('dueDate'),
  ],
  drill: {
    order: ['Learner.fullName'],
    columns: [
      'Learner.fullName',
      'Learner.userId',
      'Learner.organisationName',
      'ProgramProgress.programName',
      'ProgramProgress.status',
      'ProgramProgress.dueDate',
      'ProgramProgress.completedDate',
      'ProgramProgress.daysOverdue',
    ],
    key: ['completion_id'],
  },
});

export const PROGRAM_HISTORY = historyCube({
  name: 'ProgramHistory',
  title: 'Program history by fiscal year',
  description: "Each learner x plain program's status at the end of every closed fiscal year, plus the current year so far (gold.fact_program_history).",
  table: 'fact_program_history',
  nodes: { program: PROGRAM_NODE },
  measures: {
    count: yearEndCount('Assignments', 'Learner x program records at the fiscal year end.'),
    completed: countWhere('Completed', 'Complete at the fiscal year end.', (n) => `${n.f}.is_complete`),
    completionRate: yearEndRate('Completion rate', 'Share of assignments complete at the fiscal year end.', (n) => `${n.f}.is_complete`),
    overdue: yearEndCount('Overdue', 'Overdue at the fiscal year end.', (n) => `${n.f}.is_overdue`),
    overdueRate: yearEndRate('Overdue rate', 'Share of assignments overdue at the fiscal year end.', (n) => `${n.f}.is_overdue`),
  },
  dimensions: {
    ...PROGRAM_DIMENSIONS,
    status: coded(column('string', 'Status', 'The program status at the fiscal year end.', 'status'), PROGRAM_STATUS),
    isComplete: column('boolean', 'Complete', 'Complete at the fiscal year end.', 'is_complete'),
    isOverdue: column('boolean', 'Overdue', 'Overdue at the fiscal year end.', 'is_overdue'),
    dueDate: dateKey('Due', 'When the program was due.', 'due_date_key'),
    completedDate: dateKey('Completed', 'When the learner completed.', 'completed_date_key'),
  },
  rollups: historyRollups('ProgramHistory', ['count', 'completed', 'completionRate', 'overdue', 'overdueRate']),
  itemIds: ['program_id'],
  drillColumns: ['ProgramHistory.programName', 'ProgramHistory.status', 'ProgramHistory.dueDate'],
});
