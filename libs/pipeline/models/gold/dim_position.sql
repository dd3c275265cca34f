-- model: gold.dim_position
-- depends: silver.positions
-- stage: gold
-- Positions, as organisations: parent -1 at the top or when missing, plus the unknown member.
create or replace table gold.dim_position as
select
  o.id as position_key,
  o.id as position_id,
  coalesce(nullif(trim(o.fullname), ''), nullif(trim(o.shortname), ''), 'N/A') as name,
  coalesce(nullif(trim(o.shortname), ''), 'N/A') as short_name,
  coalesce(nullif(trim(o.idnumber), ''), 'N/A') as idnumber,
  coalesce(nullif(trim(o.path), ''), 'N/A') as path,
  coalesce(p.id, -1) as parent_key,
  cast(coalesce(o.depthlevel, length(o.path) - length(replace(o.path, '/', ''))) as int) as depth,
  o.frameworkid as framework_id
from silver.positions o
left join silver.positions p on p.id = o.parentid
union all
select -1, -1, 'Unknown', 'N/A', 'N/A', 'N/A', -1, cast(null as int), cast(null as bigint)
