-- model: silver.history_resets
-- depends: silver.fiscal_years, silver._build, silver.history_calendar
-- kind: incremental
-- stage: snapshots
-- Every change of the fiscal calendar a build found, kept across builds: one row per year it
-- shares with the calendar the history was recorded under (silver.history_calendar) whose dates
-- differ, from a new fiscal-year start month or a changed dimdates.xlsx. Kept history is keyed by
-- year number, and a changed calendar gives those numbers to other days: a closed year would keep
-- the old year's statuses and an open year's rows would close a different year. So on a change
-- the kept rows of these years are archived and deleted (the models naming a table in
-- "-- calendar-reset") and the years built again as a first build builds them: a closed year
-- from completion dates, the current year observed now. The other years keep their rows, observed
-- where a load was made in them (their year ends did not move). The rows recorded before cannot be
-- moved to the new dates: a closed row holds the status at the old year end, not at the new one.
-- A calendar recorded from year ends alone (start dates null) cannot tell which years moved, so
-- its reset rebuilds every year. One reset per build (build_id), so a retried build finds its own
-- reset instead of a second one.
-- create
create table if not exists silver.history_resets (
  reset_id int,
  build_id string,
  reset_as_of timestamp,
  fiscal_year int,
  recorded_start_date date,
  recorded_end_date date,
  start_date date,
  end_date date
)
-- apply
insert into silver.history_resets (reset_id, build_id, reset_as_of, fiscal_year, recorded_start_date, recorded_end_date, start_date, end_date)
select
  coalesce((select max(r.reset_id) from silver.history_resets r), 0) + 1,
  b.build_id, b.as_of, c.fiscal_year, c.start_date, c.end_date, f.start_date, f.end_date
from silver.history_calendar c
join silver.fiscal_years f on f.fiscal_year = c.fiscal_year
cross join silver._build b
where (f.end_date <> c.end_date or f.start_date <> c.start_date)
  and not exists (select 1 from silver.history_resets r where r.build_id = b.build_id)
