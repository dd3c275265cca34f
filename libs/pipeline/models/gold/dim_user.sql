-- model: gold.dim_user
-- depends: silver.users, silver.job_assignments, silver.user_manager, gold.dim_organisation, gold.dim_position
-- stage: gold
-- Every user in the export (deleted and suspended ones too, flagged by is_active) with the
-- organisation and position of their primary job assignment (lowest sortorder, then lowest id)
-- and their manager as at as_of from the hierarchy (-1 when they have none, their manager is
-- deleted or missing, or they are deleted themselves), plus the unknown member.
-- label is the name a manager is filtered and listed by: the full name where no other user has it;
-- where several do (two "David Jones"), the name with the username, unique in the LMS ("David Jones
-- (djones2)"), else with the LMS id. So a Manager filter never takes two managers' teams as one.
create or replace table gold.dim_user as
with primary_assignment as (
  select userid, organisationid, positionid
  from silver.job_assignments
  qualify row_number() over (partition by userid order by sortorder nulls last, id) = 1
),
named as (
  select
    u.id as user_key,
    u.id as user_id,
    coalesce(nullif(trim(u.username), ''), 'N/A') as username,
    coalesce(
      nullif(trim(concat_ws(' ', nullif(trim(u.firstname), ''), nullif(trim(u.lastname), ''))), ''),
      nullif(trim(u.username), ''),
      'N/A'
    ) as full_name,
    coalesce(nullif(trim(u.email), ''), 'N/A') as email,
    coalesce(nullif(trim(u.idnumber), ''), 'N/A') as idnumber,
    coalesce(nullif(trim(u.department), ''), 'N/A') as department,
    coalesce(nullif(trim(u.city), ''), 'N/A') as city,
    coalesce(nullif(trim(u.country), ''), 'N/A') as country,
    coalesce(o.organisation_key, -1) as organisation_key,
    coalesce(p.position_key, -1) as position_key,
    coalesce(m.manager_user_id, -1) as manager_user_key,
    coalesce(m.is_temporary_manager, false) as has_temporary_manager,
    not coalesce(u.deleted, false) and not coalesce(u.suspended, false) as is_active,
    coalesce(u.deleted, false) as is_deleted,
    coalesce(u.suspended, false) as is_suspended
  from silver.users u
  left join primary_assignment ja on ja.userid = u.id
  left join gold.dim_organisation o on o.organisation_key = ja.organisationid and o.organisation_key <> -1
  left join gold.dim_position p on p.position_key = ja.positionid and p.position_key <> -1
  left join silver.user_manager m on m.user_id = u.id
)
select
  user_key, user_id, username, full_name, email, idnumber, department, city, country, organisation_key, position_key,
  manager_user_key, has_temporary_manager, is_active, is_deleted, is_suspended,
  {{distinctLabel(full_name, nullif(username, 'N/A'), user_id)}} as label
from named
union all
select -1, -1, 'N/A', 'Unknown', 'N/A', 'N/A', 'N/A', 'N/A', 'N/A', -1, -1, -1, false, false, false, false, 'Unknown'
