import type { SqlParam } from '@kineo/warehouse';
import type { ColumnFormat, DimensionValue } from '../analytics.types';

/**
 * Table aliases by join-node name. Reading a name marks that node (and the nodes it hangs from)
 * as needed, so a query joins exactly the tables its members read. `f` is the cube's own table.
 */
export type Nodes = Record<string, string>;

/** What a member's SQL may bind: values become positional parameters, never SQL text. */
export interface SqlContext {
  /** Binds `value`; returns the placeholder. */
  param(value: SqlParam): string;
  /** Binds the date key (yyyymmdd) of the build's as_of plus `days`. */
  asOfKey(days?: number): string;
  /** The name of a gold table. */
  gold(table: string): string;
}

export type SqlOf = (n: Nodes, c: SqlContext) => string;

/** A table joined (many-to-one) to the cube's rows, or to another node. */
export type JoinNode =
  | {
      /** A gold table name. */
      table: string;
      /** The join condition; reads other nodes through `n` (which makes them joined first). */
      on: SqlOf;
    }
  | {
      /** A subquery (for per-learner aggregates of other facts). */
      table: (c: SqlContext) => string;
      /**
       * The gold columns the subquery reads, by table: its SQL names them bare, so the release's
       * list of gold columns (goldColumnsRead) takes them from here. A test runs each subquery on
       * exactly these columns, so a column read and not listed fails it.
       */
      reads: Record<string, string[]>;
      on: SqlOf;
    }
  /** The node is the cube's own table (the Learner cube is dim_user itself). */
  | { self: true };

export interface MeasureDef {
  title: string;
  description: string;
  format: ColumnFormat;
  /** An aggregate over the cube's rows. */
  sql: SqlOf;
  /** The rows that make the measure up, for drill lists (e.g. only the overdue ones). */
  rows?: SqlOf;
  /** A count of distinct learners: its drill list has one row per learner, not per fact row. */
  drillsLearners?: boolean;
  /**
   * Each drill row's own share of the figure (a learner's overdue items), listed as a column of the
   * measure's drill list, so the list adds up to the figure it opens from.
   */
  drillValue?: SqlOf;
  /** How a rollup keeps this measure; a measure without it is only ever computed from the facts. */
  rollup?: MeasureRollup;
}

/**
 * A measure kept in a rollup table as aggregates (its parts) per rollup row, and recombined from them.
 * Additive parts (counts, sums) re-aggregate across rollup rows; a ratio is a sum over a sum.
 */
export interface MeasureRollup {
  /** Aggregates over the cube's rows, each stored as a column of the rollup. */
  parts: Record<string, SqlOf>;
  /**
   * The measure from its parts: `total(part)` sums a part over the rollup rows of a group;
   * `one(part)` reads the part of the one rollup row a group has (only for `exact` measures).
   */
  combine: (parts: { total: (part: string) => string; one: (part: string) => string }) => string;
  /**
   * Not additive (a distinct count): answered only from a rollup whose rows are exactly the query's
   * groups, never re-aggregated.
   */
  exact?: boolean;
}

/**
 * A pre-aggregation (like Cube's preAggregations): the cube's rows grouped by these members, built
 * into a gold table with every published version. A query whose members it holds reads it instead of the facts.
 */
export interface RollupDef {
  /** Unique within the cube; the table is gold.rollup_<cube>_<name>. */
  name: string;
  /** The cube's own measures kept (each needs a `rollup` way to be kept). */
  measures: string[];
  /** Dimensions ('Cube.member', the cube's own or a joined cube's) it groups by; not dates. */
  dimensions: string[];
  /** A date it groups by, at a grain a query's grain derives from (day: every grain; month: month, quarter, year). */
  timeDimension?: { dimension: string; granularity: 'day' | 'month' };
}

export type DimensionType = 'string' | 'number' | 'boolean' | 'time';


export interface DimensionDef {
  title: string;
  description: string;
  type: DimensionType;
  /** string/number/boolean: the value. time: the yyyymmdd date key (-1 unknown); dates come from gold.dim_date. */
  sql: SqlOf;
  /**
   * Identifies what its cube describes: never null, and no two of them share it, so every other
   * dimension of the same cube is a function of it (Learner.userId: gold.dim_user's grain is its
   * user_key, which is the user id, checked at publish). A rollup grouped by it has one row per value.
   */
  identifies?: true;
  /**
   * The codes a text dimension takes (a status, a RAG), in the order a legend lists them, each with
   * its label and tone. A code the data holds and the list does not (a later LMS release) is shown
   * as it is.
   */
  values?: readonly DimensionValue[];
}

export interface CubeDef {
  name: string;
  title: string;
  description: string;
  /** The gold table of the cube's rows. */
  table: string;
  /** The learner (dim_user.user_key) a row belongs to: what scopes apply to. */
  userKey: SqlOf;
  /** Rows the cube never counts (the Learner cube's unknown member). */
  where?: SqlOf;
  /** Join nodes by name; `learner` and what hangs from it are added for every cube. */
  nodes: Record<string, JoinNode>;
  measures: Record<string, MeasureDef>;
  dimensions: Record<string, DimensionDef>;
  drill: {
    /**
     * Text members the list reads in, ascending, before the key (a list of people reads by name);
     * the key follows, so the order is total and the keyset pages along it. Nulls sort as ''.
     */
    order: string[];
    /** Members listed for each row (the learner and the item). */
    columns: string[];
    /** Columns of the cube's table that together are a unique, non-null key of a row, in keyset order. */
    key: string[];
    /** Key columns holding text; the others hold whole numbers (a cursor's values are checked against them). */
    textKeys?: string[];
  };
  /** Other cubes whose dimensions a query over this one may use (Learner for every cube). */
  joins: string[];
  /** Pre-aggregations built at publish; adding one is one entry. */
  rollups?: RollupDef[];
}
