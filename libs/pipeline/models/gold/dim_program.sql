-- model: gold.dim_program
-- depends: silver.programs
-- stage: gold
-- Plain programs: programs.csv rows without a certifid (those are certifications, in
-- gold.dim_certification).
-- label: the name, told apart from another row's of the same name by its short name, then by its
-- LMS id (distinctLabel): what dashboards group, filter and list by.
create or replace table gold.dim_program as
with named as (
  select
    p.id as program_key,
    p.id as program_id,
    coalesce(nullif(trim(p.fullname), ''), nullif(trim(p.shortname), ''), 'N/A') as name,
    coalesce(nullif(trim(p.shortname), ''), 'N/A') as short_name,
    coalesce(nullif(trim(p.idnumber), ''), 'N/A') as idnumber,
    p.category as category_id,
    coalesce(p.visible, true) as is_visible,
    coalesce(p.available, true) as is_available,
    nullif(trim(p.shortname), '') as qualifier
  from silver.programs p
  where p.certifid is null
)
select
  program_key, program_id, name, short_name, idnumber, category_id, is_visible, is_available,
  {{distinctLabel(name, qualifier, program_id)}} as label
from named
union all
select -1, -1, 'Unknown', 'N/A', 'N/A', cast(null as bigint), true, true, 'Unknown'
