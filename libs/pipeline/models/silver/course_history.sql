-- model: silver.course_history
-- depends: silver.fiscal_years, silver.history_years, silver._build, gold.fact_course_progress
-- kind: incremental
-- stage: snapshots
-- calendar-reset: silver.course_history
-- Each user x course's status as at each fiscal year end, kept across builds. How every history
-- table (course, program, certification, course-to-certification) is kept:
-- * While a year is open, each build records the status as at its as_of (is_closed false,
--   basis last_load_in_year), replacing what the previous build of that year recorded.
-- * The first build after a year ends closes it, once: the status at the year end is complete
--   when this build's data carry a completion dated by the year end (basis completion_date),
--   otherwise what the last build in that year recorded (last_load_in_year). The year is then
--   listed in silver.history_years and never written again, whatever later loads say, unless
--   the fiscal calendar changes that year's dates: then its rows in every kept history are
--   archived and made again as a first build makes them, under the new calendar
--   (silver.history_resets).
-- * A first build closes every earlier year from the completion dates it carries alone: a
--   course completed in FY2023 is complete at the end of FY2023 and of every later closed year.
--   Not started and in progress cannot be known for a year no load was made in, so such years
--   hold completed items only (no row = not complete, or unknown, at that year end).
-- Each statement can run again after a failure without duplicating a row.
-- create
create table if not exists silver.course_history (
  fiscal_year int,
  fiscal_year_end date,
  is_closed boolean,
  user_id bigint,
  course_id bigint,
  status string,
  completed_at timestamp,
  basis string,
  recorded_as_of timestamp
)
-- apply
insert into silver.course_history (fiscal_year, fiscal_year_end, is_closed, user_id, course_id, status, completed_at, basis, recorded_as_of)
with closing as (
  select f.fiscal_year, f.end_date, f.ends_before
  from silver.fiscal_years f
  where f.is_closed
    and f.fiscal_year not in (select h.fiscal_year from silver.history_years h where h.history = 'course')
),
completed as (
  select y.fiscal_year, p.user_id, p.course_id, p.status, p.completed_at
  from gold.fact_course_progress p
  join closing y on p.completed_at < y.ends_before
  where p.is_complete
),
observed as (
  select o.fiscal_year, o.user_id, o.course_id, o.status, o.completed_at
  from silver.course_history o
  join closing y on y.fiscal_year = o.fiscal_year
  where not o.is_closed
),
year_end as (
  select
    coalesce(c.fiscal_year, o.fiscal_year) as fiscal_year,
    coalesce(c.user_id, o.user_id) as user_id,
    coalesce(c.course_id, o.course_id) as course_id,
    coalesce(c.status, o.status) as status,
    coalesce(c.completed_at, o.completed_at) as completed_at,
    case when c.user_id is not null then 'completion_date' else 'last_load_in_year' end as basis
  from completed c
  full outer join observed o on o.fiscal_year = c.fiscal_year and o.user_id = c.user_id and o.course_id = c.course_id
)
select e.fiscal_year, y.end_date, true, e.user_id, e.course_id, e.status, e.completed_at, e.basis, b.as_of
from year_end e
join closing y on y.fiscal_year = e.fiscal_year
cross join (select as_of from silver._build) b
where not exists (
  select 1 from silver.course_history h
  where h.is_closed and h.fiscal_year = e.fiscal_year and h.user_id = e.user_id and h.course_id = e.course_id
)
-- apply
insert into silver.history_years (history, fiscal_year, fiscal_year_end, closed_as_of)
select 'course', f.fiscal_year, f.end_date, b.as_of
from silver.fiscal_years f
cross join (select as_of from silver._build) b
where f.is_closed
  and f.fiscal_year not in (select h.fiscal_year from silver.history_years h where h.history = 'course')
-- apply
delete from silver.course_history
where not is_closed
  and (
    fiscal_year in (select h.fiscal_year from silver.history_years h where h.history = 'course')
    or fiscal_year in (select f.fiscal_year from silver.fiscal_years f where f.is_current)
  )
-- apply
insert into silver.course_history (fiscal_year, fiscal_year_end, is_closed, user_id, course_id, status, completed_at, basis, recorded_as_of)
select f.fiscal_year, f.end_date, false, p.user_id, p.course_id, p.status,
  case when p.is_complete then p.completed_at end, 'last_load_in_year', b.as_of
from gold.fact_course_progress p
cross join silver.fiscal_years f
cross join (select as_of from silver._build) b
where f.is_current
  and f.fiscal_year not in (select h.fiscal_year from silver.history_years h where h.history = 'course')
