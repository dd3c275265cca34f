-- model: gold.fact_scorm
-- depends: silver.scorm_sco_attempts, gold.dim_user, gold.dim_scorm
-- stage: gold
-- One row per user x scorm x attempt. A package of several SCOs is complete (or passed) when every
-- SCO that reports a status is; its time is the SCOs' sum, its score the highest, and its status the
-- one of the SCO touched last. Single-SCO packages (the usual case) read as their one SCO.
-- SCOs touched in the same second tie; the greatest of their statuses is taken, so the row is the
-- same in every build and on both engines (max_by would pick one of the tied rows at random).
create or replace table gold.fact_scorm as
with scos as (
  select a.*, max(a.last_modified_at) over (partition by a.userid, a.scormid, a.attempt) as attempt_last_modified_at
  from silver.scorm_sco_attempts a
),
attempts as (
  select
    a.userid,
    a.scormid,
    a.attempt,
    max(a.scorm_version) as scorm_version,
    max(case when a.last_modified_at = a.attempt_last_modified_at then a.status end) as status,
    max(case when a.last_modified_at = a.attempt_last_modified_at then a.success_status end) as success_status,
    min(case when a.status is null then null when a.is_complete then 1 else 0 end) as all_complete,
    min(case when a.scorm_version = '2004' and a.success_status is null then null
             when a.scorm_version <> '2004' and a.status is null then null
             when a.passed then 1 else 0 end) as all_passed,
    max(a.score) as score,
    sum(a.total_seconds) as total_seconds,
    count(*) as scos,
    max(a.last_modified_at) as last_modified_at
  from scos a
  group by a.userid, a.scormid, a.attempt
)
select
  coalesce(u.user_key, -1) as user_key,
  coalesce(s.scorm_key, -1) as scorm_key,
  coalesce(s.course_key, -1) as course_key,
  a.userid as user_id,
  a.scormid as scorm_id,
  a.attempt,
  a.scorm_version,
  a.status,
  a.success_status,
  coalesce(a.all_complete = 1, false) as is_complete,
  coalesce(a.all_passed = 1, false) as passed,
  a.score,
  a.total_seconds,
  cast(a.scos as int) as scos,
  {{dimDateKey(a.last_modified_at)}} as last_accessed_date_key
from attempts a
left join gold.dim_user u on u.user_key = a.userid and u.user_key <> -1
left join gold.dim_scorm s on s.scorm_key = a.scormid and s.scorm_key <> -1
