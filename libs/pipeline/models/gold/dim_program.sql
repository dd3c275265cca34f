-- model: gold.dim_program
-- depends: silver.programs
-- stage: gold
-- Plain programs: programs.csv rows without a certifid (those are certifications, in
-- gold.dim_certification).
create or replace table gold.dim_program as
select
  p.id as program_key,
  p.id as program_id,
  coalesce(nullif(trim(p.fullname), ''), nullif(trim(p.shortname), ''), 'N/A') as name,
  coalesce(nullif(trim(p.shortname), ''), 'N/A') as short_name,
  coalesce(nullif(trim(p.idnumber), ''), 'N/A') as idnumber,
  p.category as category_id,
  coalesce(p.visible, true) as is_visible,
  coalesce(p.available, true) as is_available
from silver.programs p
where p.certifid is null
union all
select -1, -1, 'Unknown', 'N/A', 'N/A', cast(null as bigint), true, true
