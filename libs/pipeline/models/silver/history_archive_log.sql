-- model: silver.history_archive_log
-- depends: silver.history_resets, silver.history_years
-- kind: incremental
-- stage: snapshots
-- calendar-reset: silver.history_years
-- What each reset of the fiscal-year history (silver.history_resets) archived: one row per reset
-- and kept table, with the rows of the years it rebuilt copied to <table>_archive under the
-- reset's id, so nothing recorded is lost. Archiving silver.history_years here, before any history
-- model runs, lets each of them close those years again under the new calendar. This prelude,
-- run first, also keeps the calendar the reset found (silver.history_calendar_archive).
-- create
create table if not exists silver.history_archive_log (
  reset_id int,
  table_name string,
  archived_rows bigint
)
