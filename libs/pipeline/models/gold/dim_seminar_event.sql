-- model: gold.dim_seminar_event
-- depends: silver.seminar_sessions, gold.dim_course
-- stage: gold
-- A seminar event is the export's sessionid with all its session dates: it starts at the earliest
-- timestart and ends at the latest timefinish. Signups are to an event (fact_seminar_signup's
-- session_key is this event_key). Cancelled when every one of its dates is cancelled.
create or replace table gold.dim_seminar_event as
with events as (
  select
    s.sessionid,
    min(s.facetofaceid) as seminar_id,
    min(nullif(trim(s.seminarname), '')) as seminar_name,
    min(s.courseid) as course_id,
    max(s.capacity) as capacity,
    min(case when coalesce(s.cancelledstatus, false) then 1 else 0 end) = 1 as is_cancelled,
    count(*) as session_dates,
    min(s.timestart) as starts_at,
    max(s.timefinish) as ends_at,
    sum(case when not coalesce(s.cancelledstatus, false) and s.timefinish > s.timestart
      then {{toUnixSeconds(s.timefinish)}} - {{toUnixSeconds(s.timestart)}} end) as scheduled_seconds
  from silver.seminar_sessions s
  group by s.sessionid
),
-- One row per seminar (facetofaceid), for its label: the name, told apart from another seminar's of
-- the same name by its course's name, then by its id (distinctLabel). Its events share it.
seminars as (
  select e.seminar_id, coalesce(min(e.seminar_name), 'N/A') as name, min(c.name) as qualifier
  from events e
  left join gold.dim_course c on c.course_key = e.course_id and c.course_key <> -1
  where e.seminar_id is not null
  group by e.seminar_id
),
labelled as (
  select seminar_id, {{distinctLabel(name, qualifier, seminar_id)}} as seminar_label
  from seminars
)
select
  e.sessionid as event_key,
  e.sessionid as session_id,
  e.seminar_id,
  coalesce(e.seminar_name, 'N/A') as seminar_name,
  coalesce(c.course_key, -1) as course_key,
  e.capacity,
  e.is_cancelled,
  cast(e.session_dates as int) as session_dates,
  e.starts_at,
  e.ends_at,
  {{dimDateKey(e.starts_at)}} as start_date_key,
  {{dimDateKey(e.ends_at)}} as end_date_key,
  cast(coalesce(e.scheduled_seconds, 0) as double) as scheduled_seconds,
  coalesce(l.seminar_label, e.seminar_name, 'N/A') as seminar_label
from events e
left join gold.dim_course c on c.course_key = e.course_id and c.course_key <> -1
left join labelled l on l.seminar_id = e.seminar_id
union all
select -1, -1, cast(null as bigint), 'Unknown', -1, cast(null as bigint), false, 0, cast(null as timestamp), cast(null as timestamp), -1, -1, cast(0 as double), 'Unknown'
