-- model: silver.certification_history
-- depends: silver.fiscal_years, silver.history_years, silver._build, silver.certification_completions_seen, gold.fact_certification_progress
-- kind: incremental
-- stage: snapshots
-- calendar-reset: silver.certification_history
-- Each user x certification's state as at each fiscal year end, kept across builds as
-- silver.course_history explains. At a year end the cycle known then (this build's when completed
-- by the year end, else the last build's of that year) is judged by the contract's rules with the
-- year end (its last instant) as the reference time: a completed cycle is expired when
-- timeexpires came before the year end, window_open when timewindowopens did, else certified (the
-- state given when it has no expiry); an uncompleted one keeps the state given, and is overdue
-- (red) when it was due before the year end. completions_seen counts the distinct completion
-- times any load has shown up to the year end (silver.certification_completions_seen), so
-- recertification cycles add up across loads.
-- create
create table if not exists silver.certification_history (
  fiscal_year int,
  fiscal_year_end date,
  is_closed boolean,
  user_id bigint,
  certification_id bigint,
  state string,
  rag string,
  is_overdue boolean,
  is_compliant boolean,
  completed_at timestamp,
  window_opens_at timestamp,
  expires_at timestamp,
  timedue bigint,
  due_at timestamp,
  completions_seen int,
  basis string,
  recorded_as_of timestamp
)
-- apply
insert into silver.certification_history (fiscal_year, fiscal_year_end, is_closed, user_id, certification_id, state, rag, is_overdue,
  is_compliant, completed_at, window_opens_at, expires_at, timedue, due_at, completions_seen, basis, recorded_as_of)
with closing as (
  select f.fiscal_year, f.end_date, f.ends_before
  from silver.fiscal_years f
  where f.is_closed
    and f.fiscal_year not in (select h.fiscal_year from silver.history_years h where h.history = 'certification')
),
completed as (
  select y.fiscal_year, p.user_id, p.certification_id, p.state, p.completed_at, p.window_opens_at, p.expires_at, p.timedue, p.due_at
  from gold.fact_certification_progress p
  join closing y on p.completed_at < y.ends_before
),
observed as (
  select o.fiscal_year, o.user_id, o.certification_id, o.state, o.completed_at, o.window_opens_at, o.expires_at, o.timedue, o.due_at
  from silver.certification_history o
  join closing y on y.fiscal_year = o.fiscal_year
  where not o.is_closed
),
year_end as (
  select
    coalesce(c.fiscal_year, o.fiscal_year) as fiscal_year,
    coalesce(c.user_id, o.user_id) as user_id,
    coalesce(c.certification_id, o.certification_id) as certification_id,
    case when c.user_id is not null then c.state else o.state end as given_state,
    case when c.user_id is not null then c.completed_at else o.completed_at end as completed_at,
    case when c.user_id is not null then c.window_opens_at else o.window_opens_at end as window_opens_at,
    case when c.user_id is not null then c.expires_at else o.expires_at end as expires_at,
    case when c.user_id is not null then c.timedue else o.timedue end as timedue,
    case when c.user_id is not null then c.due_at else o.due_at end as due_at,
    case when c.user_id is not null then 'completion_date' else 'last_load_in_year' end as basis
  from completed c
  full outer join observed o on o.fiscal_year = c.fiscal_year and o.user_id = c.user_id and o.certification_id = c.certification_id
),
dated as (
  select
    e.*,
    y.end_date,
    y.ends_before,
    case
      when e.completed_at is null or e.expires_at is null then e.given_state
      when e.expires_at < y.ends_before then 'expired'
      when e.window_opens_at < y.ends_before then 'window_open'
      else 'certified'
    end as state
  from year_end e
  join closing y on y.fiscal_year = e.fiscal_year
),
judged as (
  select
    d.*,
    coalesce(d.state <> 'expired' and d.completed_at is null and d.due_at < d.ends_before, false) as is_overdue,
    coalesce(d.completed_at is not null and d.expires_at >= d.ends_before, false) as is_compliant
  from dated d
),
seen as (
  select y.fiscal_year, s.user_id, s.certification_id, count(distinct s.timecompleted) as completions_seen
  from silver.certification_completions_seen s
  join closing y on s.timecompleted < y.ends_before
  group by y.fiscal_year, s.user_id, s.certification_id
)
select
  j.fiscal_year, j.end_date, true, j.user_id, j.certification_id, j.state,
  case
    when j.state = 'expired' then 'red'
    when j.is_overdue then 'red'
    when j.completed_at is null and coalesce(j.timedue, -1) <= 0 then 'green'
    when j.completed_at is null then 'amber'
    when j.window_opens_at < j.ends_before and j.ends_before <= j.expires_at then 'amber'
    else 'green'
  end,
  j.is_overdue, j.is_compliant, j.completed_at, j.window_opens_at, j.expires_at, j.timedue, j.due_at,
  cast(coalesce(s.completions_seen, 0) as int), j.basis, b.as_of
from judged j
left join seen s on s.fiscal_year = j.fiscal_year and s.user_id = j.user_id and s.certification_id = j.certification_id
cross join (select as_of from silver._build) b
where not exists (
  select 1 from silver.certification_history h
  where h.is_closed and h.fiscal_year = j.fiscal_year and h.user_id = j.user_id and h.certification_id = j.certification_id
)
-- apply
insert into silver.history_years (history, fiscal_year, fiscal_year_end, closed_as_of)
select 'certification', f.fiscal_year, f.end_date, b.as_of
from silver.fiscal_years f
cross join (select as_of from silver._build) b
where f.is_closed
  and f.fiscal_year not in (select h.fiscal_year from silver.history_years h where h.history = 'certification')
-- apply
delete from silver.certification_history
where not is_closed
  and (
    fiscal_year in (select h.fiscal_year from silver.history_years h where h.history = 'certification')
    or fiscal_year in (select f.fiscal_year from silver.fiscal_years f where f.is_current)
  )
-- apply
insert into silver.certification_history (fiscal_year, fiscal_year_end, is_closed, user_id, certification_id, state, rag, is_overdue,
  is_compliant, completed_at, window_opens_at, expires_at, timedue, due_at, completions_seen, basis, recorded_as_of)
with seen as (
  select user_id, certification_id, count(distinct timecompleted) as completions_seen
  from silver.certification_completions_seen
  group by user_id, certification_id
)
select f.fiscal_year, f.end_date, false, p.user_id, p.certification_id, p.state, p.rag, p.is_overdue, p.is_compliant,
  p.completed_at, p.window_opens_at, p.expires_at, p.timedue, p.due_at, cast(coalesce(s.completions_seen, 0) as int),
  'last_load_in_year', b.as_of
from gold.fact_certification_progress p
left join seen s on s.user_id = p.user_id and s.certification_id = p.certification_id
cross join silver.fiscal_years f
cross join (select as_of from silver._build) b
where f.is_current
  and f.fiscal_year not in (select h.fiscal_year from silver.history_years h where h.history = 'certification')
