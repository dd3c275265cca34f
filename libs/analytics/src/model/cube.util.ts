import { column, dateKey, dimension, knownLearners, rate, yearEndKnownCount } from './measures.util';
import type { CubeDef, MeasureDef, SqlOf } from './model.types';

/** What a history row's year end is labelled when it was reconstructed from completion dates. */
export const COMPLETIONS_ONLY_NOTE = 'before the first load: completions only';

const yearEndObserved: SqlOf = (n) => `${n.f}.year_end_basis = 'observed'`;

/**
 * A rate at the fiscal year end, over the years a load observed only: a year that ended before the
 * tenant's first load holds its completed items alone, so a rate over it would read 100 % complete
 * and 0 % overdue. Such a year's rate is empty (null); its counts stay.
 */
export const yearEndRate = (title: string, description: string, rows: SqlOf): MeasureDef =>
  rate(title, `${description} Empty for a fiscal year that ended before the first load (completions only).`, rows, yearEndObserved);

/**
 * A count at the fiscal year end that only a load can know (records, overdue, expired, compliant):
 * a year that ended before the tenant's first load holds its completed items alone, so its records
 * are its completions and nothing in it is overdue. Over the years a load observed only; empty
 * (null) for a group of such years alone. Completions are counted with countWhere: they stay.
 */
export const yearEndCount = (title: string, description: string, rows?: SqlOf): MeasureDef =>
  yearEndKnownCount(title, `${description} Empty for a fiscal year that ended before the first load (completions only).`, yearEndObserved, rows);

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
    measures: {
      learners: knownLearners('Learners with at least one record at the fiscal year end. Empty for a fiscal year that ended before the first load (completions only).', yearEndObserved),
      ...cube.measures,
    },
    dimensions: {
      fiscalYear: column('number', 'Fiscal year', 'Named by the calendar year in which it ends.', 'fiscal_year'),
      isYearClosed: column('boolean', 'Year closed', 'False for the current fiscal year so far.', 'is_year_closed'),
      fiscalYearEnd: dateKey('Fiscal year end', 'The last day of the fiscal year.', 'fiscal_year_end_date_key'),
      yearEndBasis: column(
        'string',
        'Year end basis',
        'observed: a load was made in the year, so its open items are known; completions_only: the year ended before the first load and holds completed items alone.',
        'year_end_basis',
      ),
      yearEndNote: dimension(
        'string',
        'Year end note',
        `Why a year's rates and counts other than completions are empty ("${COMPLETIONS_ONLY_NOTE}"); empty for a year a load observed.`,
        (n) => `case when ${n.f}.year_end_basis = 'observed' then null else '${COMPLETIONS_ONLY_NOTE}' end`,
      ),
      ...cube.dimensions,
    },
    drill: { order: ['Learner.fullName'], columns: ['Learner.fullName', 'Learner.userId', `${def.name}.fiscalYear`, ...drillColumns], key: ['fiscal_year', 'user_id', ...itemIds] },
  });
}
