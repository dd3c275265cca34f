-- model: gold.dim_certification
-- depends: silver.programs
-- stage: gold
-- Certifications: programs.csv rows with a certifid. The key is the certifid (what
-- cert_completions name); program_id is the certification's program (what prog_completions and
-- program_courses name). Should two programs carry the same certifid, the lowest program id wins.
-- Periods stay as the LMS writes them ('1 year', '6 month', '30 day'). label: the name, told apart
-- from another certification's of the same name by its short name, then by its id (distinctLabel).
create or replace table gold.dim_certification as
with certification as (
  select *
  from silver.programs
  where certifid is not null
  qualify row_number() over (partition by certifid order by id) = 1
),
named as (
  select
    c.certifid as certification_key,
    c.certifid as certification_id,
    c.id as program_id,
    coalesce(nullif(trim(c.fullname), ''), nullif(trim(c.shortname), ''), 'N/A') as name,
    coalesce(nullif(trim(c.shortname), ''), 'N/A') as short_name,
    coalesce(nullif(trim(c.idnumber), ''), 'N/A') as idnumber,
    c.category as category_id,
    coalesce(c.visible, true) as is_visible,
    coalesce(c.available, true) as is_available,
    coalesce(nullif(trim(c.activeperiod), ''), 'N/A') as active_period,
    coalesce(nullif(trim(c.minimumactiveperiod), ''), 'N/A') as minimum_active_period,
    coalesce(nullif(trim(c.windowperiod), ''), 'N/A') as window_period,
    c.recertifydatetype as recertify_date_type,
    case c.recertifydatetype when 1 then 'completion_date' when 2 then 'expiry_date' when 3 then 'fixed_expiry_date' else 'N/A' end as recertify_type,
    nullif(trim(c.shortname), '') as qualifier
  from certification c
)
select
  certification_key, certification_id, program_id, name, short_name, idnumber, category_id, is_visible, is_available,
  active_period, minimum_active_period, window_period, recertify_date_type, recertify_type,
  {{distinctLabel(name, qualifier, certification_id)}} as label
from named
union all
select -1, -1, -1, 'Unknown', 'N/A', 'N/A', cast(null as bigint), true, true, 'N/A', 'N/A', 'N/A', cast(null as int), 'N/A', 'Unknown'
