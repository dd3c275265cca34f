-- model: silver.fiscal_years
-- depends: gold.dim_date, silver._build
-- stage: snapshots
-- The tenant's fiscal years (from gold.dim_date, so from its fiscal calendar or start month).
-- ends_before is the first instant after the year's last day: something happened "by the year
-- end" when it happened before it. A year is closed once its last day is over at as_of (as_of on
-- or after ends_before, UTC); the current year is the one as_of falls in.
create or replace table silver.fiscal_years as
with years as (
  select fiscal_year, min(date) as start_date, max(date) as end_date
  from gold.dim_date
  where date_key <> -1
  group by fiscal_year
)
select
  y.fiscal_year,
  y.start_date,
  y.end_date,
  cast({{dateAdd(day, 1, y.end_date)}} as timestamp) as ends_before,
  cast(b.as_of as date) > y.end_date as is_closed,
  cast(b.as_of as date) between y.start_date and y.end_date as is_current
from years y
cross join (select as_of from silver._build) b
