-- model: gold.dim_seminar_session
-- depends: silver.seminar_sessions
-- stage: gold
-- One row per session date of a seminar event (seminar_sessions.csv's grain). Its key is a
-- number for this build only; facts refer to events (event_key), which are stable LMS ids.
create or replace table gold.dim_seminar_session as
select
  cast(row_number() over (order by s.sessionid, s.timestart) as bigint) as seminar_session_key,
  s.sessionid as event_key,
  s.sessionid as session_id,
  {{dimDateKey(s.timestart)}} as date_key,
  s.timestart as starts_at,
  s.timefinish as ends_at,
  cast(case when s.timefinish > s.timestart then {{toUnixSeconds(s.timefinish)}} - {{toUnixSeconds(s.timestart)}} else 0 end as double) as duration_seconds,
  coalesce(s.cancelledstatus, false) as is_cancelled
from silver.seminar_sessions s
union all
select -1, -1, -1, -1, cast(null as timestamp), cast(null as timestamp), cast(0 as double), false
