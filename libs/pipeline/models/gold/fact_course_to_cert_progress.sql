-- model: gold.fact_course_to_cert_progress
-- depends: silver.cert_completions, silver.program_courses, silver.programs, silver.course_completions, gold.dim_user, gold.dim_certification, gold.dim_course
-- stage: gold
-- The courses that count toward each user's certification: for every user assigned a
-- certification (cert_completions), the courses in the course sets of the certification's
-- program(s) (program_courses) on the user's current path (a course set row with no certifpath
-- counts on both paths), each course once (its lowest course set), with the user's progress on it.
-- 'not_enrolled' when the user has no completion record for the course.
create or replace table gold.fact_course_to_cert_progress as
with certification_course as (
  select p.certifid, pc.courseid, pc.certifpath, min(pc.coursesetid) as course_set_id
  from silver.program_courses pc
  join silver.programs p on p.id = pc.programid and p.certifid is not null
  group by p.certifid, pc.courseid, pc.certifpath
),
assigned as (
  select cc.userid, cc.certifid, cc.certifpath, k.courseid, min(k.course_set_id) as course_set_id
  from silver.cert_completions cc
  join certification_course k on k.certifid = cc.certifid and (k.certifpath is null or k.certifpath = cc.certifpath)
  group by cc.userid, cc.certifid, cc.certifpath, k.courseid
)
select
  coalesce(u.user_key, -1) as user_key,
  coalesce(d.certification_key, -1) as certification_key,
  coalesce(c.course_key, -1) as course_key,
  a.userid as user_id,
  a.certifid as certification_id,
  a.courseid as course_id,
  a.course_set_id,
  case a.certifpath when 1 then 'certification' when 2 then 'recertification' end as certif_path,
  case
    when cc.id is null then 'not_enrolled'
    when cc.status = 10 then 'not_started'
    when cc.status = 25 then 'in_progress'
    when cc.status = 50 then 'complete'
    when cc.status = 75 then 'complete_rpl'
    else 'unknown'
  end as course_status,
  coalesce(cc.status in (50, 75), false) as is_complete,
  {{dimDateKey(cc.timecompleted)}} as completed_date_key,
  case when cc.status in (50, 75) then cc.timecompleted end as completed_at
from assigned a
left join silver.course_completions cc on cc.userid = a.userid and cc.course = a.courseid
left join gold.dim_user u on u.user_key = a.userid and u.user_key <> -1
left join gold.dim_certification d on d.certification_key = a.certifid and d.certification_key <> -1
left join gold.dim_course c on c.course_key = a.courseid and c.course_key <> -1
