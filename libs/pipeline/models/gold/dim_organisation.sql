-- model: gold.dim_organisation
-- depends: silver.organisations
-- stage: gold
-- Organisations (key = the LMS id) with their parent (-1 at the top or when the parent is not in
-- the file) and depth (depthlevel, else counted from the path), plus the unknown member.
-- label is the name dashboards group, filter and list by: the LMS name where no other organisation
-- has it; where several do ("Payroll" under two regions), the name with its parent's ("Payroll
-- (Finance South)"), and where that is shared too, with the LMS id ("Payroll (#42)"). So two
-- organisations are never summed as one.
create or replace table gold.dim_organisation as
with named as (
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
    coalesce(o.visible, true) as is_visible,
    coalesce(nullif(trim(p.fullname), ''), nullif(trim(p.shortname), '')) as parent_name
  from silver.organisations o
  left join silver.organisations p on p.id = o.parentid
)
select
  organisation_key, organisation_id, name, short_name, idnumber, path, parent_key, depth, framework_id, is_visible,
  {{distinctLabel(name, parent_name, organisation_id)}} as label
from named
union all
select -1, -1, 'Unknown', 'N/A', 'N/A', 'N/A', -1, cast(null as int), cast(null as bigint), true, 'Unknown'
