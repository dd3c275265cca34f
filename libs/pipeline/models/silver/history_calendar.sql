-- model: silver.history_calendar
-- depends: silver.history_years
-- kind: incremental
-- stage: snapshots
-- The fiscal calendar the kept history was recorded under: the dates of every year that had begun
-- by the last build (written after the history by silver.load_years). silver.history_resets
-- compares it with this build's calendar. A tenant whose history was kept before this table
-- existed starts from the year ends it closed (silver.history_years), start dates unknown.
-- create
create table if not exists silver.history_calendar (
  fiscal_year int,
  start_date date,
  end_date date
)
-- apply
insert into silver.history_calendar (fiscal_year, start_date, end_date)
select distinct h.fiscal_year, cast(null as date), h.fiscal_year_end
from silver.history_years h
where not exists (select 1 from silver.history_calendar c)
