import type { RollupDef } from './model.types';

/**
 * The learner's organisation as rollups keep it: the id lets a viewer's granted subtrees apply to
 * a rollup, the name, path and subtree answer what dashboards group and filter by.
 */
export const BY_ORGANISATION = ['Learner.isActive', 'Learner.organisationId', 'Learner.organisationName', 'Learner.organisationPath', 'Learner.organisationTree'];

/** A fiscal-year history cube's rollups: per fiscal year (its dashboard tile), and per year and organisation. */
export function historyRollups(cube: string, measures: string[]): RollupDef[] {
  const year = ['Learner.isActive', `${cube}.fiscalYear`, `${cube}.isYearClosed`];
  return [
    { name: 'byFiscalYear', measures: [...measures, 'learners'], dimensions: year },
    { name: 'byOrganisation', measures, dimensions: [...year, ...BY_ORGANISATION.slice(1)] },
  ];
}
