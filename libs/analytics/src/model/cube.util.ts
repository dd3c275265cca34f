import { column, dateKey, distinctLearners } from './measures.util';
import type { CubeDef } from './model.types';

export type FactCubeInput = Omit<CubeDef, 'userKey' | 'joins'>;

/** A fact cube: its rows belong to a learner (user_key) and can be cut by the Learner cube's dimensions. */
export function factCube(def: FactCubeInput): CubeDef {
  return { ...def, userKey: (n) => `${n.f}.user_key`, joins: ['Learner'] };
}

export interface HistoryCubeInput extends Omit<FactCubeInput, 'drill'> {
  /** What one learner's row is about (its item's LMS ids), after the fiscal year and the learner. */
  itemIds: string[];
  /** The row's own members listed in a drill, after the learner and the fiscal year. */
  drillColumns: string[];
}

/**
 * A fiscal-year history fact (gold.fact_*_history): one row per learner x item x fiscal year end,
 * the closed years and the current one so far.
 */
export function historyCube(def: HistoryCubeInput): CubeDef {
  const { itemIds, drillColumns, ...cube } = def;
  return factCube({
    ...cube,
    measures: { learners: distinctLearners('Learners with at least one record.'), ...cube.measures },
    dimensions: {
      fiscalYear: column('number', 'Fiscal year', 'Named by the calendar year in which it ends.', 'fiscal_year'),
      isYearClosed: column('boolean', 'Year closed', 'False for the current fiscal year so far.', 'is_year_closed'),
      fiscalYearEnd: dateKey('Fiscal year end', 'The last day of the fiscal year.', 'fiscal_year_end_date_key'),
      ...cube.dimensions,
    },
    drill: { order: ['Learner.fullName'], columns: ['Learner.userId', 'Learner.fullName', `${def.name}.fiscalYear`, ...drillColumns], key: ['fiscal_year', 'user_id', ...itemIds] },
  });
}
