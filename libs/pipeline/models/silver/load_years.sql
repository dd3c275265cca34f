-- model: silver.load_years
-- depends: silver.fiscal_years, silver._build, silver.history_calendar, silver.course_history, silver.program_history, silver.certification_history, silver.course_to_cert_history
-- kind: incremental
-- stage: snapshots
-- calendar-reset: silver.load_years
-- The fiscal years a build was made in, kept across builds. A history's year end is observed
-- (its not started, in progress and overdue items are known) only for these years; a year that
-- ended before the first build is reconstructed from completion dates and holds completions only,
-- so a rate over it would read 100 %. Tenants built before this table existed get back the years
-- whose closed history still holds a status recorded by a load in that year (last_load_in_year).
-- After a change of the fiscal calendar (silver.history_resets) it loses the years whose dates
-- changed: those closed are rebuilt from completion dates then, whatever loads were made in them;
-- the years whose dates did not change stay observed.
-- Its last statements record the calendar this history is now kept under (silver.history_calendar).
-- create
create table if not exists silver.load_years (
  fiscal_year int,
  first_as_of timestamp
)
-- apply
insert into silver.load_years (fiscal_year, first_as_of)
select y.fiscal_year, min(y.as_of)
from (
  select f.fiscal_year, b.as_of
  from silver.fiscal_years f
  cross join (select as_of from silver._build) b
  where f.is_current
  union all
  select h.fiscal_year, min(h.recorded_as_of) from silver.course_history h where h.is_closed and h.basis = 'last_load_in_year' group by h.fiscal_year
  union all
  select h.fiscal_year, min(h.recorded_as_of) from silver.program_history h where h.is_closed and h.basis = 'last_load_in_year' group by h.fiscal_year
  union all
  select h.fiscal_year, min(h.recorded_as_of) from silver.certification_history h where h.is_closed and h.basis = 'last_load_in_year' group by h.fiscal_year
  union all
  select h.fiscal_year, min(h.recorded_as_of) from silver.course_to_cert_history h where h.is_closed and h.basis = 'last_load_in_year' group by h.fiscal_year
) y
where y.fiscal_year not in (select l.fiscal_year from silver.load_years l)
group by y.fiscal_year
-- apply
delete from silver.history_calendar
-- apply
insert into silver.history_calendar (fiscal_year, start_date, end_date)
select f.fiscal_year, f.start_date, f.end_date
from silver.fiscal_years f
cross join (select as_of from silver._build) b
where f.start_date <= cast(b.as_of as date)
