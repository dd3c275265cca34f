-- model: gold.dim_date
-- depends: silver.dimdates, silver._build
-- stage: gold
-- One row per day of 2012-2036, plus the unknown date (-1). The fiscal year, quarter and period
-- come from the tenant's fiscal calendar (dimdates) for the days it lists; every other day is
-- derived from the tenant's fiscal-year start month (silver._build.fiscal_year_start_month), so a
-- calendar that covers only some years leaves no holes.
-- A fiscal year is named by the calendar year in which it ENDS: with a July start, 2024-07-01 to
-- 2025-06-30 is FY2025 (so 2024-06-30 is FY2024 and 2024-07-01 FY2025). With a January start the
-- fiscal year is the calendar year.
-- The days are generated from four digits of a day number (0-9999), the one way to make a series
-- that both engines share.
create or replace table gold.dim_date as
with digits as (
  select n from (values (0), (1), (2), (3), (4), (5), (6), (7), (8), (9)) as t(n)
),
days as (
  select cast({{dateAdd(day, a.n + 10 * b.n + 100 * c.n + 1000 * d.n, {{dimDateFirst}})}} as date) as calendar_day
  from digits a cross join digits b cross join digits c cross join digits d
),
derived as (
  select
    calendar_day,
    cast(year(calendar_day) as int) as year,
    cast(month(calendar_day) as int) as month,
    cast(day(calendar_day) as int) as day_of_month,
    cast(year(calendar_day) + case when s.m > 1 and month(calendar_day) >= s.m then 1 else 0 end as int) as fiscal_year,
    cast(mod(month(calendar_day) - s.m + 12, 12) + 1 as int) as fiscal_period
  from days
  cross join (select fiscal_year_start_month as m from silver._build) s
  where calendar_day <= {{dimDateLast}}
),
uploaded as (
  select cast(date as date) as calendar_day, fiscal_year, fiscal_quarter, fiscal_period
  from silver.dimdates
  where date is not null
),
calendar as (
  select
    x.calendar_day,
    x.year,
    x.month,
    x.day_of_month,
    cast(coalesce(u.fiscal_year, x.fiscal_year) as int) as fiscal_year,
    cast(coalesce(u.fiscal_quarter, floor((x.fiscal_period - 1) / 3) + 1) as int) as fiscal_quarter,
    cast(coalesce(u.fiscal_period, x.fiscal_period) as int) as fiscal_period,
    u.calendar_day is not null as from_fiscal_calendar
  from derived x
  left join uploaded u on u.calendar_day = x.calendar_day
)
select
  {{dateKey(calendar_day)}} as date_key,
  calendar_day as date,
  year,
  month,
  day_of_month,
  fiscal_year,
  fiscal_quarter,
  fiscal_period,
  'FY' || cast(fiscal_year as string) as fiscal_year_name,
  from_fiscal_calendar
from calendar
union all
select -1, cast(null as date), cast(null as int), cast(null as int), cast(null as int), cast(null as int), cast(null as int),
  cast(null as int), 'N/A', false
