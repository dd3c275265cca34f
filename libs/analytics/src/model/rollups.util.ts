import type { RollupDef } from './model.types';

/**
 * The learner's organisation as rollups keep it: the id lets a viewer's granted subtrees apply to
 * a rollup, the name, path and subtree answer what dashboards group and filter by.
 */
export const BY_ORGANISATION = ['Learner.isActive', 'Learner.organisationId', 'Learner.organisationName', 'Learner.organisationPath', 'Learner.organisationTree'];

/** A fiscal-year history cube's rollup: per fiscal year, what its dashboard tile reads. */
export function historyRollups(cube: string, measures: string[]): RollupDef[] {
  return [{ name: 'byFiscalYear', measures: [...measures, 'learners'], dimensions: ['Learner.isActive', `${cube}.fiscalYear`, `${cube}.isYearClosed`, `${cube}.yearEndNote`] }];
}

/**
 * A dashboard period's rollups on one of a cube's dates (`enrolledDate`): its small tiles' groups by
 * day (`byEnrolledDay`: status, type, the active flag; a few rows a day, read with no facts), and
 * each of its organisation and item tiles' groups by month (`byOrganisationEnrolledMonth`), whose
 * whole months a period reads from the rollup and whose part months' days from the facts.
 */
export function periodRollups(cube: string, date: string, measures: string[], byDay: string[], byMonth: Record<string, string[]>): RollupDef[] {
  const title = date[0].toUpperCase() + date.slice(1).replace(/Date$/, '');
  const dimension = `${cube}.${date}`;
  return [
    { name: `by${title}Day`, measures, dimensions: byDay, timeDimension: { dimension, granularity: 'day' } },
    ...Object.entries(byMonth).map(([what, dimensions]): RollupDef => ({ name: `by${what}${title}Month`, measures, dimensions, timeDimension: { dimension, granularity: 'month' } })),
  ];
}
