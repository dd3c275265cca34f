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
