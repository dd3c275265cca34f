import type { WarehouseSession } from '@kineo/warehouse';
import type { Model } from './model';
import { splitArguments } from './placeholders';

/** The log of fiscal calendar changes (one row per year whose dates changed), written by silver.history_resets. */
const RESETS = 'silver.history_resets';
/** What each reset archived, one row per reset and kept table. */
const ARCHIVE_LOG = 'silver.history_archive_log';
/** The fiscal calendar the history was recorded under (silver.history_calendar) as each reset found it. */
const CALENDAR_ARCHIVE = 'silver.history_calendar_archive';

/** This build's rows of the log (none unless it found the fiscal calendar changed). */
const THIS_BUILDS_RESET_ROWS = `${RESETS} r join silver._build b on b.build_id = r.build_id`;
/** The reset this build made (none unless it found the fiscal calendar changed). */
const THIS_BUILDS_RESET = `select distinct r.reset_id from ${THIS_BUILDS_RESET_ROWS}`;
/**
 * The years this build's reset rebuilds: those whose dates changed. A calendar recorded from year
 * ends alone (a history kept before the calendar was, start dates null) cannot tell which years
 * moved (nothing recorded the open year's dates), so such a reset rebuilds every year instead.
 * A calendar is recorded either wholly with its start dates or wholly without (silver.load_years
 * writes it whole), so one reset is of one kind.
 */
const THIS_BUILDS_RESET_YEARS = `select r.fiscal_year from ${THIS_BUILDS_RESET_ROWS} where r.recorded_start_date is not null`;
const THIS_BUILDS_RESET_OF_EVERY_YEAR = `select r.reset_id from ${THIS_BUILDS_RESET_ROWS} where r.recorded_start_date is null`;

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
 * The statements that archive and delete the rows of one kept table that the fiscal calendar
 * change found by this build makes wrong (an archive table exists from a tenant's first reset on): the
 * rows of the years whose dates changed keep those years' old dates, which no longer bound them,
 * so nothing kept of them can be carried over (see silver.history_resets). The other years' rows
 * stay as recorded (observed where a load was made in them): their dates are the same, so their
 * year-end statuses still hold, and completion dates could not give them back. Safe to run again
 * after a failure: a table is archived once per reset (the log says which are), and deleting its
 * years again only drops what this same build re-derives in the statements after.
 */
export function calendarResetStatements(table: Model): string[] {
  const columns = columnDefinitions(table.sql, table.source);
  const names = columns.map((c) => c.split(/\s+/)[0]);
  if (!names.includes('fiscal_year')) throw new Error(`${table.source}: a table reset on a calendar change needs a fiscal_year column (its years are reset)`);
  const archive = archiveTableOf(table.name);
  // An anti-join, not NOT EXISTS: a Delta DELETE refuses a subquery nested in its subquery.
  const notYetArchivedFrom = `${THIS_BUILDS_RESET_ROWS} left join ${ARCHIVE_LOG} l on l.reset_id = r.reset_id and l.table_name = '${table.name}' where l.reset_id is null`;
  const notYetArchived = `select distinct r.reset_id from ${notYetArchivedFrom}`;
  // the years to archive, a null year standing for every year (a reset of a calendar recorded without start dates)
  const yearsNotYetArchived = `select distinct r.reset_id, case when r.recorded_start_date is null then null else r.fiscal_year end as fiscal_year from ${notYetArchivedFrom}`;
  return [
    `create table if not exists ${archive} (\n  reset_id int,\n  ${columns.join(',\n  ')}\n)`,
    // an archive a failed attempt left half done is made again from the table, which it did not empty yet
    `delete from ${archive} where reset_id in (${notYetArchived})`,
    `insert into ${archive} (reset_id, ${names.join(', ')})\nselect p.reset_id, ${names.map((n) => `t.${n}`).join(', ')}\nfrom ${table.name} t\njoin (${yearsNotYetArchived}) p on p.fiscal_year = t.fiscal_year or p.fiscal_year is null`,
    `insert into ${ARCHIVE_LOG} (reset_id, table_name, archived_rows)\nselect p.reset_id, '${table.name}', count(a.reset_id)\nfrom (${notYetArchived}) p\nleft join ${archive} a on a.reset_id = p.reset_id\ngroup by p.reset_id`,
    // two statements rather than one with an OR: each keeps to one plain subquery, which a Delta DELETE takes
    `delete from ${table.name} where fiscal_year in (${THIS_BUILDS_RESET_YEARS})`,
    `delete from ${table.name} where exists (${THIS_BUILDS_RESET_OF_EVERY_YEAR})`,
  ];
}

/**
 * Keeps the calendar the history was recorded under as this build's reset found it, once per
 * reset: it tells the years the reset left as they were from those it rebuilt, after
 * silver.load_years has recorded the new calendar over it (and for the operator, what it was).
 */
function recordedCalendarStatements(): string[] {
  return [
    `create table if not exists ${CALENDAR_ARCHIVE} (\n  reset_id int,\n  fiscal_year int,\n  start_date date,\n  end_date date\n)`,
    `insert into ${CALENDAR_ARCHIVE} (reset_id, fiscal_year, start_date, end_date)\nselect p.reset_id, c.fiscal_year, c.start_date, c.end_date\nfrom silver.history_calendar c\ncross join (${THIS_BUILDS_RESET}) p\nwhere not exists (select 1 from ${CALENDAR_ARCHIVE} a where a.reset_id = p.reset_id)`,
  ];
}

/**
 * Gives the model naming `-- calendar-reset:` tables their reset statements as its prelude (run
 * before its own statements, in a build that made a reset), and makes it run after the change is
 * detected and the tables exist.
 */
export function withCalendarResets(models: Model[]): Model[] {
  const byName = new Map(models.map((m) => [m.name, m]));
  if (models.some((m) => m.calendarResets) && !byName.get(ARCHIVE_LOG)?.calendarResets) {
    throw new Error(`${ARCHIVE_LOG} must reset a kept table on a calendar change: its prelude, run first, keeps the calendar recorded before`);
  }
  return models.map((model) => {
    if (!model.calendarResets) return model;
    const resets = model.calendarResets.map((name) => {
      const table = byName.get(name);
      if (!table || table.kind !== 'incremental') throw new Error(`${model.source}: calendar-reset names ${name}, which is not a kept (incremental) model`);
      return table;
    });
    const extra = [RESETS, ARCHIVE_LOG, ...resets.map((t) => t.name)].filter((d) => d !== model.name && !model.depends.includes(d));
    // every other model with resets depends on the log's model, so its prelude runs first, before
    // silver.load_years records the new calendar
    const calendar = model.name === ARCHIVE_LOG ? recordedCalendarStatements() : [];
    if (calendar.length > 0 && !model.depends.includes('silver.history_calendar')) extra.push('silver.history_calendar');
    return {
      ...model,
      depends: [...model.depends, ...extra],
      prelude: { when: THIS_BUILDS_RESET, statements: [...calendar, ...resets.flatMap(calendarResetStatements)] },
    };
  });
}

export interface CalendarReset {
  resetId: number;
  /** The years whose dates changed, with their dates before and now (ISO dates; a start unknown before is null). */
  years: { fiscalYear: number; before: { start: string | null; end: string }; now: { start: string; end: string } }[];
  /**
   * The years of the calendar recorded before whose dates did not change, their history kept as it
   * was; none when the reset rebuilt every year (a calendar recorded without start dates, or a new
   * start month, which moves every year).
   */
  yearsKept: number[];
  /** This build's current fiscal year (null when its as_of is outside the calendar). */
  currentYear: number | null;
  /** Rebuilt years (as numbered before) that were closed and whose year end had been observed from a load made in them. */
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
     from ${THIS_BUILDS_RESET_ROWS} order by r.fiscal_year`,
  );
  if (years.rows.length === 0) return null;
  const resetId = Number(years.rows[0].reset_id);
  const everyYear = years.rows.some((r) => r.recorded_start_date === null || r.recorded_start_date === undefined);
  const recorded = everyYear
    ? []
    : (await session.query<{ fiscal_year: number }>(`select fiscal_year from ${CALENDAR_ARCHIVE} where reset_id = ? order by 1`, [resetId])).rows.map((r) => Number(r.fiscal_year));
  const rebuilt = new Set(years.rows.map((r) => Number(r.fiscal_year)));
  const observed = await session.query<{ fiscal_year: number }>(
    `select distinct l.fiscal_year
     from ${archiveTableOf('silver.load_years')} l
     join ${archiveTableOf('silver.history_years')} h on h.reset_id = l.reset_id and h.fiscal_year = l.fiscal_year
     where l.reset_id = ? order by 1`,
    [resetId],
  );
  const archived = await session.query<{ n: number }>(`select coalesce(sum(archived_rows), 0) as n from ${ARCHIVE_LOG} where reset_id = ?`, [resetId]);
  const current = await session.query<{ fiscal_year: number }>('select fiscal_year from silver.fiscal_years where is_current');
  return {
    resetId,
    years: years.rows.map((r) => ({
      fiscalYear: Number(r.fiscal_year),
      before: { start: isoDate(r.recorded_start_date), end: isoDate(r.recorded_end_date)! },
      now: { start: isoDate(r.start_date)!, end: isoDate(r.end_date)! },
    })),
    yearsKept: recorded.filter((y) => !rebuilt.has(y)),
    currentYear: current.rows.length > 0 ? Number(current.rows[0].fiscal_year) : null,
    observedClosedYearsBefore: observed.rows.map((r) => Number(r.fiscal_year)),
    archivedRows: Number(archived.rows[0].n),
  };
}

const plural = (n: number, one: string, many: string) => (n === 1 ? one : many);

/** "FY2023", "FY2023 and FY2024", "FY2021, FY2023 and FY2024". */
function yearList(years: number[]): string {
  const names = years.map((y) => `FY${y}`);
  return names.length <= 1 ? names.join('') : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

/** "FY2023 and FY2024 rebuilt from completion dates, so they show completions only, and FY2025 (the current year) observed from this build". */
function partialRebuild(reset: CalendarReset): string {
  const closed = reset.years.map((y) => y.fiscalYear).filter((y) => y !== reset.currentYear);
  const parts: string[] = [];
  if (closed.length > 0) parts.push(`${yearList(closed)} rebuilt from completion dates, so ${plural(closed.length, 'it shows', 'they show')} completions only`);
  if (closed.length < reset.years.length) parts.push(`FY${reset.currentYear} (the current year) observed ${closed.length > 0 ? '' : 'again '}from this build`);
  return parts.join(', and ');
}

/** What an org admin reads on the load report when a build found the fiscal calendar changed. */
export function calendarResetWarning(reset: CalendarReset): string {
  // the latest year is the one the admin knows best (the years before it changed the same way)
  const latest = reset.years[reset.years.length - 1];
  const before = latest.before.start ? `ran ${latest.before.start} to ${latest.before.end}` : `ended ${latest.before.end}`;
  const others = reset.years.length > 1 ? ` and ${reset.years.length - 1} more year${plural(reset.years.length - 1, '', 's')}` : '';
  const observed = reset.observedClosedYearsBefore;
  const partial = reset.yearsKept.length > 0;
  const rebuilt = partial
    ? `${partialRebuild(reset)}; the ${reset.yearsKept.length} other year${plural(reset.yearsKept.length, '', 's')} of the history kept as recorded`
    : 'fiscal-year history rebuilt from completion dates, so every closed year shows completions only and the current year is observed from this build';
  return (
    `fiscal calendar changed (FY${latest.fiscalYear} ${before}, now ${latest.now.start} to ${latest.now.end}${others}): ${rebuilt}; ` +
    `${observed.length} closed year${plural(observed.length, ' was', 's were')} observed before` +
    // a partial reset keeps the years' numbers; a new start month gives them to other days
    (observed.length > 0 ? ` (${observed.map((y) => `FY${y}`).join(', ')}${partial ? '' : ' as numbered then'})` : '') +
    `; the ${reset.archivedRows} history row${plural(reset.archivedRows, '', 's')} recorded ${partial ? 'for them ' : ''}before ${plural(reset.archivedRows, 'is', 'are')} archived (reset ${reset.resetId})`
  );
}
