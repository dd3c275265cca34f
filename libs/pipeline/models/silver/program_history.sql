-- model: silver.program_history
-- depends: silver.fiscal_years, silver.history_years, silver._build, gold.fact_program_progress
-- kind: incremental
-- stage: snapshots
-- calendar-reset: silver.program_history
-- Each user x plain program's status as at each fiscal year end, kept across builds as
-- silver.course_history explains. Overdue at a year end: not complete by then, due before it,
-- and the user active when last seen that year; a year closed from completion dates alone holds
-- completed programs only, never overdue.
-- create
create table if not exists silver.program_history (
  fiscal_year int,
  fiscal_year_end date,
  is_closed boolean,
  user_id bigint,
  program_id bigint,
  status string,
  is_overdue boolean,
  due_at timestamp,
  is_user_active boolean,
  completed_at timestamp,
  basis string,
  recorded_as_of timestamp
)
-- apply
insert into silver.program_history (fiscal_year, fiscal_year_end, is_closed, user_id, program_id, status, is_overdue, due_at, is_user_active, completed_at, basis, recorded_as_of)
with closing as (
  select f.fiscal_year, f.end_date, f.ends_before
  from silver.fiscal_years f
  where f.is_closed
    and f.fiscal_year not in (select h.fiscal_year from silver.history_years h where h.history = 'program')
),
completed as (
  select y.fiscal_year, p.user_id, p.program_id, p.due_at, p.is_user_active, p.completed_at
  from gold.fact_program_progress p
  join closing y on p.completed_at < y.ends_before
  where p.is_complete
),
observed as (
  select o.fiscal_year, o.user_id, o.program_id, o.status, o.due_at, o.is_user_active, o.completed_at
  from silver.program_history o
  join closing y on y.fiscal_year = o.fiscal_year
  where not o.is_closed
),
year_end as (
  select
    coalesce(c.fiscal_year, o.fiscal_year) as fiscal_year,
    coalesce(c.user_id, o.user_id) as user_id,
    coalesce(c.program_id, o.program_id) as program_id,
    case when c.user_id is not null then 'complete' else o.status end as status,
    coalesce(c.due_at, o.due_at) as due_at,
    coalesce(c.is_user_active, o.is_user_active) as is_user_active,
    coalesce(c.completed_at, o.completed_at) as completed_at,
    case when c.user_id is not null then 'completion_date' else 'last_load_in_year' end as basis
  from completed c
  full outer join observed o on o.fiscal_year = c.fiscal_year and o.user_id = c.user_id and o.program_id = c.program_id
)
select e.fiscal_year, y.end_date, true, e.user_id, e.program_id, e.status,
  coalesce(e.status <> 'complete' and e.due_at < y.ends_before and e.is_user_active, false),
  e.due_at, e.is_user_active, e.completed_at, e.basis, b.as_of
from year_end e
join closing y on y.fiscal_year = e.fiscal_year
cross join (select as_of from silver._build) b
where not exists (
  select 1 from silver.program_history h
  where h.is_closed and h.fiscal_year = e.fiscal_year and h.user_id = e.user_id and h.program_id = e.program_id
)
-- apply
insert into silver.history_years (history, fiscal_year, fiscal_year_end, closed_as_of)
select 'program', f.fiscal_year, f.end_date, b.as_of
from silver.fiscal_years f
cross join (select as_of from silver._build) b
where f.is_closed
  and f.fiscal_year not in (select h.fiscal_year from silver.history_years h where h.history = 'program')
-- apply
delete from silver.program_history
where not is_closed
  and (
    fiscal_year in (select h.fiscal_year from silver.history_years h where h.history = 'program')
    or fiscal_year in (select f.fiscal_year from silver.fiscal_years f where f.is_current)
  )
-- apply
insert into silver.program_history (fiscal_year, fiscal_year_end, is_closed, user_id, program_id, status, is_overdue, due_at, is_user_active, completed_at, basis, recorded_as_of)
select f.fiscal_year, f.end_date, false, p.user_id, p.program_id, p.status, p.is_overdue, p.due_at, p.is_user_active,
  case when p.is_complete then p.completed_at end, 'last_load_in_year', b.as_of
from gold.fact_program_progress p
cross join silver.fiscal_years f
cross join (select as_of from silver._build) b
where f.is_current
  and f.fiscal_year not in (select h.fiscal_year from silver.history_years h where h.history = 'program')
