-- model: gold.fact_seminar_signup
-- depends: silver.seminar_signups, gold.dim_user, gold.dim_seminar_event
-- stage: gold
-- One row per signup with its current status: the row with superceded = 0, the latest timecreated
-- if several. A signup whose rows are all superseded keeps its latest row, with has_current_status
-- false, so no signup is lost. session_key is the signup's sessionid: the seminar event
-- (gold.dim_seminar_event.event_key). Status names: 100 and 90 attended (90 partially), 80 no_show,
-- 10 and 20 cancelled, 60 waitlisted, 70 booked, 40 and 45 requested, 30 declined, 50 approved,
-- 0 unknown.
create or replace table gold.fact_seminar_signup as
with signup as (
  select
    s.*,
    count(*) over (partition by s.signupid) as status_rows,
    sum(case when coalesce(s.superceded, false) then 0 else 1 end) over (partition by s.signupid) as current_rows,
    min(s.timecreated) over (partition by s.signupid) as first_created_at
  from silver.seminar_signups s
  qualify row_number() over (
    partition by s.signupid
    order by case when coalesce(s.superceded, false) then 1 else 0 end, s.timecreated desc nulls last
  ) = 1
)
select
  s.signupid as signup_id,
  coalesce(u.user_key, -1) as user_key,
  coalesce(e.event_key, -1) as session_key,
  coalesce(e.course_key, -1) as course_key,
  s.userid as user_id,
  s.sessionid as session_id,
  s.statuscode as status_code,
  case s.statuscode
    when 100 then 'attended'
    when 90 then 'attended'
    when 80 then 'no_show'
    when 10 then 'cancelled'
    when 20 then 'cancelled'
    when 60 then 'waitlisted'
    when 70 then 'booked'
    when 40 then 'requested'
    when 45 then 'requested'
    when 30 then 'declined'
    when 50 then 'approved'
    else 'unknown'
  end as status,
  s.statuscode in (90, 100) as attended,
  s.statuscode = 90 as partially_attended,
  nullif(trim(s.grade), '') as grade,
  s.current_rows > 0 as has_current_status,
  cast(s.status_rows as int) as status_changes,
  {{dimDateKey(s.first_created_at)}} as signed_up_date_key,
  {{dimDateKey(s.timecreated)}} as status_date_key
from signup s
left join gold.dim_user u on u.user_key = s.userid and u.user_key <> -1
left join gold.dim_seminar_event e on e.event_key = s.sessionid and e.event_key <> -1
