-- model: gold.dim_course
-- depends: silver.courses
-- stage: gold
-- Courses (key = the LMS id). coursetype 0/1/2 is elearning/blended/seminar; an empty coursetype
-- is 'N/A' rather than a guess. include_in_dashboard follows visible (empty = visible).
-- label: the name, told apart from another row's of the same name by its short name, then by its
-- LMS id (distinctLabel): what dashboards group, filter and list by.
create or replace table gold.dim_course as
with named as (
  select
    c.id as course_key,
    c.id as course_id,
    coalesce(nullif(trim(c.fullname), ''), nullif(trim(c.shortname), ''), 'N/A') as name,
    coalesce(nullif(trim(c.shortname), ''), 'N/A') as short_name,
    coalesce(nullif(trim(c.idnumber), ''), 'N/A') as idnumber,
    c.category as category_id,
    case c.coursetype when 0 then 'elearning' when 1 then 'blended' when 2 then 'seminar' else 'N/A' end as course_type,
    coalesce(c.visible, true) as include_in_dashboard,
    coalesce(c.enablecompletion, false) as completion_enabled,
    {{dimDateKey(c.startdate)}} as start_date_key,
    nullif(trim(c.shortname), '') as qualifier
  from silver.courses c
)
select
  course_key, course_id, name, short_name, idnumber, category_id, course_type, include_in_dashboard, completion_enabled, start_date_key,
  {{distinctLabel(name, qualifier, course_id)}} as label
from named
union all
select -1, -1, 'Unknown', 'N/A', 'N/A', cast(null as bigint), 'N/A', true, false, -1, 'Unknown'
