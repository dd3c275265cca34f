-- model: gold.fact_scorm
-- depends: silver.scorm_sco_attempts, gold.dim_user, gold.dim_scorm
-- stage: gold
-- One row per user x scorm x attempt. A package of several SCOs is complete (or passed) when every
-- SCO that reports a status is; its time is the SCOs' sum, its score the highest. Its status (and
-- 2004 success status) is the least advanced of its SCOs', so what a learner reads agrees with the
-- package's flags: passed only when every SCO passed, completed when every SCO is complete and one
-- only completed, otherwise the status of the SCO holding the package back (one SCO passed and
-- another incomplete reads incomplete, not the last-touched SCO's passed). Advancement runs
-- not attempted < browsed < incomplete < failed < completed < passed (a word outside the
-- standards' ranks lowest, as it is never complete). SCOs that report no status are left out, as
-- they are for is_complete. Single-SCO packages (the usual case) read as their one SCO. SCOs of the
-- same rank (e.g. 'Passed' and 'passed') give the greatest of their texts, so the row is the same
-- in every build and on both engines.
create or replace table gold.fact_scorm as
with ranked as (
  select
    a.*,
    case lower(a.status)
      when 'passed' then 6 when 'completed' then 5 when 'failed' then 4
      when 'incomplete' then 3 when 'browsed' then 2 when 'not attempted' then 1 else 0
    end as status_rank,
    case lower(a.success_status) when 'passed' then 2 when 'failed' then 1 else 0 end as success_rank
  from silver.scorm_sco_attempts a
),
scos as (
  select
    r.*,
    min(case when r.status is not null then r.status_rank end) over (partition by r.userid, r.scormid, r.attempt) as package_status_rank,
    min(case when r.success_status is not null then r.success_rank end) over (partition by r.userid, r.scormid, r.attempt) as package_success_rank
  from ranked r
),
attempts as (
  select
    a.userid,
    a.scormid,
    a.attempt,
    max(a.scorm_version) as scorm_version,
    max(case when a.status is not null and a.status_rank = a.package_status_rank then a.status end) as status,
    max(case when a.success_status is not null and a.success_rank = a.package_success_rank then a.success_status end) as success_status,
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
