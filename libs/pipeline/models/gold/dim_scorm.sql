-- model: gold.dim_scorm
-- depends: silver.scorm, gold.dim_course
-- stage: gold
-- SCORM packages with their course and version: SCORM_12 is SCORM 1.2, SCORM_13 is SCORM 2004.
-- label: the name, told apart from another package's of the same name ("Module 1" in many courses)
-- by its course's name, then by its id (distinctLabel).
create or replace table gold.dim_scorm as
with named as (
  select
    s.id as scorm_key,
    s.id as scorm_id,
    coalesce(nullif(trim(s.name), ''), 'N/A') as name,
    coalesce(c.course_key, -1) as course_key,
    coalesce(nullif(trim(s.version), ''), 'N/A') as version,
    case upper(trim(s.version)) when 'SCORM_12' then '1.2' when 'SCORM_13' then '2004' else 'N/A' end as scorm_version,
    case s.whatgrade when 0 then 'highest' when 1 then 'average' when 2 then 'first' when 3 then 'last' else 'N/A' end as grading_method,
    s.maxattempt as max_attempts,
    c.name as qualifier
  from silver.scorm s
  left join gold.dim_course c on c.course_key = s.course and c.course_key <> -1
)
select
  scorm_key, scorm_id, name, course_key, version, scorm_version, grading_method, max_attempts,
  {{distinctLabel(name, qualifier, scorm_id)}} as label
from named
union all
select -1, -1, 'Unknown', -1, 'N/A', 'N/A', 'N/A', cast(null as bigint), 'Unknown'
