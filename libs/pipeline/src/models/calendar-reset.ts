import type { WarehouseSession } from '@kineo/warehouse';
import type { Model } from './model';
import { splitArguments } from './placeholders';

/** The log of fiscal calendar changes (one row per year whose dates changed), written by silver.history_resets. */
const RESETS = 'silver.history_resets';
/** What each reset archived, one row per reset and kept table. */
const ARCHIVE_LOG = 'silver.history_archive_log';

/** The reset this build made (none unless it found the fiscal calendar changed). */
const THIS_BUILDS_RESET = `select distinct r.reset_id from ${RESETS} r join silver._build b on b.build_id = r.build_id`;

export const archiveTableOf = (table: string) => `${table}_archive`;

/** The column definitions of a `create table if not exists <name> (...)` statement, as written. */
function columnDefinitions(create: string, source: string): string[] {
  const open = create.indexOf('(');
  const close = create.lastIndexOf(')');
  if (!/^create table if not exists\s/i.test(create) || open < 0 || close < open) {
    throw new Error(`${source}: a table reset on a calendar change needs a "create table if not exists name (columns)" statement`);
  }
  return splitArguments(create.slice(open + 1, close)).map((c) => c.trim());
}

/**
 * The statements that archive and empty one kept table, for a build that found the fiscal calendar
 * changed (an archive table exists from a tenant's first reset on): its rows keep the year numbers and dates of the old calendar, which the new one gives to
 * other days, so nothing kept can be carried over (see silver.history_resets). Safe to run again
 * after a failure: a table is archived once per reset (the log says which are), and emptying it
 * again only drops what this same build re-derives in the statements after.
 */
export function calendarResetStatements(table: Model): string[] {
  const columns = columnDefinitions(table.sql, table.source);
  const names = columns.map((c) => c.split(/\s+/)[0]);
  const archive = archiveTableOf(table.name);
  // An anti-join, not NOT EXISTS: a Delta DELETE refuses a subquery nested in its subquery.
  const notYetArchived =
    `${THIS_BUILDS_RESET} left join ${ARCHIVE_LOG} l on l.reset_id = r.reset_id and l.table_name = '${table.name}' where l.reset_id is null`;
  return [
    `create table if not exists ${archive} (\n  reset_id int,\n  ${columns.join(',\n  ')}\n)`,
    // an archive a failed attempt left half done is made again from the table, which it did not empty yet
    `delete from ${archive} where reset_id in (${notYetArchived})`,
    `insert into ${archive} (reset_id, ${names.join(', ')})\nselect p.reset_id, ${names.map((n) => `t.${n}`).join(', ')}\nfrom ${table.name} t\ncross join (${notYetArchived}) p`,
    `insert into ${ARCHIVE_LOG} (reset_id, table_name, archived_rows)\nselect p.reset_id, '${table.name}', count(a.reset_id)\nfrom (${notYetArchived}) p\nleft join ${archive} a on a.reset_id = p.reset_id\ngroup by p.reset_id`,
    `delete from ${table.name} where exists (${THIS_BUILDS_RESET})`,
  ];
}

/**
 * Gives the model naming `-- calendar-reset:` tables their reset statements as its prelude (run
 * before its own statements, in a build that made a reset), and makes it run after the change is
 * detected and the tables exist.
 */
export function withCalendarResets(models: Model[]): Model[] {
  const byName = new Map(models.map((m) => [m.name, m]));
  return models.map((model) => {
    if (!model.calendarResets) return model;
    const resets = model.calendarResets.map((name) => {
      const table = byName.get(name);
      if (!table || table.kind !== 'incremental') throw new Error(`${model.source}: calendar-reset names ${name}, which is not a kept (incremental) model`);
      return table;
    });
    const extra = [RESETS, ARCHIVE_LOG, ...resets.map((t) => t.name)].filter((d) => d !== model.name && !model.depends.includes(d));
    return {
      ...model,
      depends: [...model.depends, ...extra],
      prelude: { when: THIS_BUILDS_RESET, statements: resets.flatMap(calendarResetStatements) },
    };
  });
}

export interface CalendarReset {
  resetId: number;
  /** The years whose dates changed, with their dates before and now (ISO dates; a start unknown before is null). */
  years: { fiscalYear: number; before: { start: string | null; end: string }; now: { start: string; end: string } }[];
  /** Closed years (as numbered before) whose year end had been observed from a load made in them. */
  observedClosedYearsBefore: number[];
  archivedRows: number;
}

function isoDate(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString().slice(0, 10);
  if (typeof value === 'string') return value.slice(0, 10);
  throw new Error(`expected a date from the warehouse, got ${typeof value}`);
}

/** The reset of the fiscal-year history the current build made, if it found the fiscal calendar changed. */
export async function calendarResetOfThisBuild(session: WarehouseSession): Promise<CalendarReset | null> {
  const years = await session.query<{ reset_id: number; fiscal_year: number; recorded_start_date: unknown; recorded_end_date: unknown; start_date: unknown; end_date: unknown }>(
    `select r.reset_id, r.fiscal_year, r.recorded_start_date, r.recorded_end_date, r.start_date, r.end_date
     from ${RESETS} r join silver._build b on b.build_id = r.build_id order by r.fiscal_year`,
  );
  if (years.rows.length === 0) return null;
  const resetId = Number(years.rows[0].reset_id);
  const observed = await session.query<{ fiscal_year: number }>(
    `select distinct l.fiscal_year
     from ${archiveTableOf('silver.load_years')} l
     join ${archiveTableOf('silver.history_years')} h on h.reset_id = l.reset_id and h.fiscal_year = l.fiscal_year
     where l.reset_id = ? order by 1`,
    [resetId],
  );
  const archived = await session.query<{ n: number }>(`select coalesce(sum(archived_rows), 0) as n from ${ARCHIVE_LOG} where reset_id = ?`, [resetId]);
  return {
    resetId,
    years: years.rows.map((r) => ({
      fiscalYear: Number(r.fiscal_year),
      before: { start: isoDate(r.recorded_start_date), end: isoDate(r.recorded_end_date)! },
      now: { start: isoDate(r.start_date)!, end: isoDate(r.end_date)! },
    })),
    observedClosedYearsBefore: observed.rows.map((r) => Number(r.fiscal_year)),
    archivedRows: Number(archived.rows[0].n),
  };
}

/** What an org admin reads on the load report when a build found the fiscal calendar changed. */
export function calendarResetWarning(reset: CalendarReset): string {
  // the latest year is the one the admin knows best (the years before it changed the same way)
  const latest = reset.years[reset.years.length - 1];
  const before = latest.before.start ? `ran ${latest.before.start} to ${latest.before.end}` : `ended ${latest.before.end}`;
  const others = reset.years.length > 1 ? ` and ${reset.years.length - 1} more year${reset.years.length === 2 ? '' : 's'}` : '';
  const observed = reset.observedClosedYearsBefore;
  return (
    `fiscal calendar changed (FY${latest.fiscalYear} ${before}, now ${latest.now.start} to ${latest.now.end}${others}): ` +
    'fiscal-year history rebuilt from completion dates, so every closed year shows completions only and the current year is observed from this build; ' +
    `${observed.length} closed year${observed.length === 1 ? ' was' : 's were'} observed before` +
    (observed.length > 0 ? ` (${observed.map((y) => `FY${y}`).join(', ')} as numbered then)` : '') +
    `; the ${reset.archivedRows} history row${reset.archivedRows === 1 ? '' : 's'} recorded before ${reset.archivedRows === 1 ? 'is' : 'are'} archived (reset ${reset.resetId})`
  );
}
