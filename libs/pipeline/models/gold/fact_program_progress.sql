-- model: gold.fact_program_progress
-- depends: silver.prog_completions, silver.programs, silver._build, gold.dim_user, gold.dim_program, gold.dim_organisation, gold.dim_position
-- stage: gold
-- Plain programs only: program-level rows (coursesetid = 0) of programs that are not
-- certifications (a certification's program rows feed fact_certification_progress). A program
-- id missing from programs.csv is kept with program_key -1.
-- Overdue as at as_of: not complete, timedue > 0 and before as_of, and the user known and neither
-- deleted nor suspended. timedue -1 means no due date (never overdue); timedue 0 is a data error,
-- never overdue and named in due_date_problem.
create or replace table gold.fact_program_progress as
with b as (
  select as_of from silver._build
),
progress as (
  select
    pc.*,
    case when pc.timedue > 0 then {{fromUnixSeconds(pc.timedue)}} end as due_at
  from silver.prog_completions pc
  where pc.coursesetid = 0
    and pc.programid not in (select id from silver.programs where certifid is not null)
)
select
  coalesce(u.user_key, -1) as user_key,
  coalesce(p.program_key, -1) as program_key,
  pc.userid as user_id,
  pc.programid as program_id,
  pc.id as completion_id,
  pc.status as status_code,
  case
    when pc.status = 1 then 'complete'
    when pc.timestarted is not null then 'in_progress'
    else 'not_started'
  end as status,
  pc.status = 1 as is_complete,
  pc.timedue,
  pc.due_at,
  {{dimDateKey(pc.due_at)}} as due_date_key,
  {{dimDateKey(pc.timecreated)}} as assigned_date_key,
  {{dimDateKey(pc.timestarted)}} as started_date_key,
  {{dimDateKey(pc.timecompleted)}} as completed_date_key,
  pc.timecompleted as completed_at,
  coalesce(pc.status <> 1 and pc.due_at < b.as_of and u.is_active, false) as is_overdue,
  case
    when pc.status <> 1 and pc.due_at < b.as_of and u.is_active
      then cast(floor(({{toUnixSeconds(b.as_of)}} - pc.timedue) / 86400) as int)
  end as days_overdue,
  case when pc.timedue = 0 then 'timedue is 0: a data error (no due date is -1)' end as due_date_problem,
  coalesce(u.is_active, false) as is_user_active,
  coalesce(o.organisation_key, -1) as organisation_key,
  coalesce(ps.position_key, -1) as position_key
from progress pc
cross join b
left join gold.dim_user u on u.user_key = pc.userid and u.user_key <> -1
left join gold.dim_program p on p.program_key = pc.programid and p.program_key <> -1
left join gold.dim_organisation o on o.organisation_key = pc.organisationid and o.organisation_key <> -1
left join gold.dim_position ps on ps.position_key = pc.positionid and ps.position_key <> -1
