-- model: gold.fact_learning_time
-- depends: silver.scorm_sco_attempts, gold.fact_seminar_signup, gold.dim_seminar_session, gold.dim_user
-- stage: gold
-- Seconds of learning per user x day x source. elearning: each SCORM attempt's total_time on the
-- day of the track that recorded it (its timemodified). seminar: for every signup whose current
-- status is attended (fully or partially), the hours of each of the event's session dates that
-- were not cancelled, on the session's day. Days are UTC.
create or replace table gold.fact_learning_time as
with learning as (
  select
    coalesce(u.user_key, -1) as user_key,
    {{dimDateKey(a.time_recorded_at)}} as date_key,
    'elearning' as source,
    a.total_seconds as seconds
  from silver.scorm_sco_attempts a
  left join gold.dim_user u on u.user_key = a.userid and u.user_key <> -1
  where a.total_seconds > 0
  union all
  select f.user_key, s.date_key, 'seminar', s.duration_seconds
  from gold.fact_seminar_signup f
  join gold.dim_seminar_session s on s.event_key = f.session_key and s.seminar_session_key <> -1
  where f.attended and not s.is_cancelled and s.duration_seconds > 0
)
select user_key, date_key, source, cast(sum(seconds) as double) as seconds
from learning
group by user_key, date_key, source
