-- model: gold.dim_organisation
-- depends: silver.organisations
-- stage: gold
-- Organisations (key = the LMS id) with their parent (-1 at the top or when the parent is not in
-- the file) and depth (depthlevel, else counted from the path), plus the unknown member.
create or replace table gold.dim_organisation as
select
  o.id as organisation_key,
  o.id as organisation_id,
  coalesce(nullif(trim(o.fullname), ''), nullif(trim(o.shortname), ''), 'N/A') as name,
  coalesce(nullif(trim(o.shortname), ''), 'N/A') as short_name,
  coalesce(nullif(trim(o.idnumber), ''), 'N/A') as idnumber,
  coalesce(nullif(trim(o.path), ''), 'N/A') as path,
  coalesce(p.id, -1) as parent_key,
  cast(coalesce(o.depthlevel, length(o.path) - length(replace(o.path, '/', ''))) as int) as depth,
  o.frameworkid as framework_id,
  coalesce(o.visible, true) as is_visible
from silver.organisations o
left join silver.organisations p on p.id = o.parentid
union all
select -1, -1, 'Unknown', 'N/A', 'N/A', 'N/A', -1, cast(null as int), cast(null as bigint), true
