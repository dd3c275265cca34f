-- model: silver.course_to_cert_history
-- depends: silver.fiscal_years, silver.history_years, silver._build, gold.fact_course_to_cert_progress
-- kind: incremental
-- stage: snapshots
-- calendar-reset: silver.course_to_cert_history
-- Each user x certification x counting course's status as at each fiscal year end, kept across
-- builds as silver.course_history explains (the courses that count are those of the build that
-- closes the year).
-- create
create table if not exists silver.course_to_cert_history (
  fiscal_year int,
  fiscal_year_end date,
  is_closed boolean,
  user_id bigint,
  certification_id bigint,
  course_id bigint,
  course_status string,
  completed_at timestamp,
  basis string,
  recorded_as_of timestamp
)
-- apply
insert into silver.course_to_cert_history (fiscal_year, fiscal_year_end, is_closed, user_id, certification_id, course_id, course_status, completed_at, basis, recorded_as_of)
with closing as (
  select f.fiscal_year, f.end_date, f.ends_before
  from silver.fiscal_years f
  where f.is_closed
    and f.fiscal_year not in (select h.fiscal_year from silver.history_years h where h.history = 'course_to_cert')
),
completed as (
  select y.fiscal_year, p.user_id, p.certification_id, p.course_id, p.course_status, p.completed_at
  from gold.fact_course_to_cert_progress p
  join closing y on p.completed_at < y.ends_before
  where p.is_complete
),
observed as (
  select o.fiscal_year, o.user_id, o.certification_id, o.course_id, o.course_status, o.completed_at
  from silver.course_to_cert_history o
  join closing y on y.fiscal_year = o.fiscal_year
  where not o.is_closed
),
year_end as (
  select
    coalesce(c.fiscal_year, o.fiscal_year) as fiscal_year,
    coalesce(c.user_id, o.user_id) as user_id,
    coalesce(c.certification_id, o.certification_id) as certification_id,
    coalesce(c.course_id, o.course_id) as course_id,
    coalesce(c.course_status, o.course_status) as course_status,
    coalesce(c.completed_at, o.completed_at) as completed_at,
    case when c.user_id is not null then 'completion_date' else 'last_load_in_year' end as basis
  from completed c
  full outer join observed o
    on o.fiscal_year = c.fiscal_year and o.user_id = c.user_id and o.certification_id = c.certification_id and o.course_id = c.course_id
)
select e.fiscal_year, y.end_date, true, e.user_id, e.certification_id, e.course_id, e.course_status, e.completed_at, e.basis, b.as_of
from year_end e
join closing y on y.fiscal_year = e.fiscal_year
cross join (select as_of from silver._build) b
where not exists (
  select 1 from silver.course_to_cert_history h
  where h.is_closed and h.fiscal_year = e.fiscal_year and h.user_id = e.user_id
    and h.certification_id = e.certification_id and h.course_id = e.course_id
)
-- apply
insert into silver.history_years (history, fiscal_year, fiscal_year_end, closed_as_of)
select 'course_to_cert', f.fiscal_year, f.end_date, b.as_of
from silver.fiscal_years f
cross join (select as_of from silver._build) b
where f.is_closed
  and f.fiscal_year not in (select h.fiscal_year from silver.history_years h where h.history = 'course_to_cert')
-- apply
delete from silver.course_to_cert_history
where not is_closed
  and (
    fiscal_year in (select h.fiscal_year from silver.history_years h where h.history = 'course_to_cert')
    or fiscal_year in (select f.fiscal_year from silver.fiscal_years f where f.is_current)
  )
-- apply
insert into silver.course_to_cert_history (fiscal_year, fiscal_year_end, is_closed, user_id, certification_id, course_id, course_status, completed_at, basis, recorded_as_of)
select f.fiscal_year, f.end_date, false, p.user_id, p.certification_id, p.course_id, p.course_status, p.completed_at, 'last_load_in_year', b.as_of
from gold.fact_course_to_cert_progress p
cross join silver.fiscal_years f
cross join (select as_of from silver._build) b
where f.is_current
  and f.fiscal_year not in (select h.fiscal_year from silver.history_years h where h.history = 'course_to_cert')
