-- model: gold.fact_course_progress
-- depends: silver.course_completions, gold.dim_user, gold.dim_course, gold.dim_organisation, gold.dim_position
-- stage: gold
-- One row per course completion record (user x course). Keys that match no dimension row are -1;
-- no row is ever dropped. days_to_complete counts whole elapsed days (24-hour periods) from
-- timestarted, or timeenrolled when it was never started, to timecompleted; NULL when the course is
-- not complete or a date is missing, and NULL rather than negative when the completion is dated
-- before the start. organisation/position are the snapshot the LMS took at completion.
create or replace table gold.fact_course_progress as
select
  coalesce(u.user_key, -1) as user_key,
  coalesce(c.course_key, -1) as course_key,
  cc.userid as user_id,
  cc.course as course_id,
  cc.id as completion_id,
  cc.status as status_code,
  case cc.status
    when 10 then 'not_started'
    when 25 then 'in_progress'
    when 50 then 'complete'
    when 75 then 'complete_rpl'
    else 'unknown'
  end as status,
  cc.status in (50, 75) as is_complete,
  cc.status = 75 as is_rpl,
  nullif(trim(cc.rplgrade), '') as rpl_grade,
  {{dimDateKey(cc.timeenrolled)}} as enrolled_date_key,
  {{dimDateKey(cc.timestarted)}} as started_date_key,
  {{dimDateKey(cc.timecompleted)}} as completed_date_key,
  case
    when cc.status in (50, 75) and cc.timecompleted >= coalesce(cc.timestarted, cc.timeenrolled)
      then cast(floor(({{toUnixSeconds(cc.timecompleted)}} - {{toUnixSeconds(coalesce(cc.timestarted, cc.timeenrolled))}}) / 86400) as int)
  end as days_to_complete,
  cc.timecompleted as completed_at,
  coalesce(o.organisation_key, -1) as organisation_key,
  coalesce(p.position_key, -1) as position_key
from silver.course_completions cc
left join gold.dim_user u on u.user_key = cc.userid and u.user_key <> -1
left join gold.dim_course c on c.course_key = cc.course and c.course_key <> -1
left join gold.dim_organisation o on o.organisation_key = cc.organisationid and o.organisation_key <> -1
left join gold.dim_position p on p.position_key = cc.positionid and p.position_key <> -1
