-- model: gold.fact_certification_progress
-- depends: silver.cert_completions, silver.prog_completions, silver.programs, silver._build, gold.dim_user, gold.dim_certification
-- stage: gold
-- One row per user x certification (cert_completions), as at as_of, by the contract's rules:
-- state: renewalstatus 2 or status 4 expired; renewalstatus 1 window_open; status 3 certified;
--   2 in_progress; 1 assigned.
-- completed: timecompleted is set. compliant: completed and timeexpires after as_of.
-- RAG, with timedue from the certification program's program-level prog_completions row:
--   expired red; not completed and 0 < timedue < as_of red and overdue (an expired certification
--   is expired, not overdue); not completed and timedue <= 0 green; not completed and timedue >=
--   as_of amber; completed and timewindowopens <= as_of <= timeexpires amber; other completed green.
--   Not completed with no prog_completions row (no timedue at all) counts as no due date: green.
-- The certification's program is its lowest program id, as in dim_certification.
create or replace table gold.fact_certification_progress as
with b as (
  select as_of from silver._build
),
certification_program as (
  select certifid, min(id) as program_id from silver.programs where certifid is not null group by certifid
),
certification as (
  select
    cc.*,
    cp.program_id,
    pc.timedue,
    case when pc.timedue > 0 then {{fromUnixSeconds(pc.timedue)}} end as due_at,
    case
      when cc.renewalstatus = 2 or cc.status = 4 then 'expired'
      when cc.renewalstatus = 1 then 'window_open'
      when cc.status = 3 then 'certified'
      when cc.status = 2 then 'in_progress'
      when cc.status = 1 then 'assigned'
    end as state,
    cc.timecompleted is not null as is_completed
  from silver.cert_completions cc
  left join certification_program cp on cp.certifid = cc.certifid
  left join silver.prog_completions pc on pc.programid = cp.program_id and pc.userid = cc.userid and pc.coursesetid = 0
),
judged as (
  select
    c.*,
    c.state <> 'expired' and not c.is_completed and c.due_at < b.as_of as overdue,
    case
      when c.state = 'expired' then 'red'
      when not c.is_completed and c.due_at < b.as_of then 'red'
      when not c.is_completed and coalesce(c.timedue, -1) <= 0 then 'green'
      when not c.is_completed then 'amber'
      when c.timewindowopens <= b.as_of and b.as_of <= c.timeexpires then 'amber'
      else 'green'
    end as rag,
    c.is_completed and c.timeexpires > b.as_of as compliant
  from certification c
  cross join b
)
select
  coalesce(u.user_key, -1) as user_key,
  coalesce(d.certification_key, -1) as certification_key,
  j.userid as user_id,
  j.certifid as certification_id,
  j.program_id,
  j.id as completion_id,
  case j.certifpath when 1 then 'certification' when 2 then 'recertification' end as certif_path,
  j.status as status_code,
  j.renewalstatus as renewal_status_code,
  j.state,
  j.rag,
  coalesce(j.overdue, false) as is_overdue,
  coalesce(j.compliant, false) as is_compliant,
  j.is_completed,
  {{dimDateKey(j.timecompleted)}} as completed_date_key,
  {{dimDateKey(j.timewindowopens)}} as window_opens_date_key,
  {{dimDateKey(j.timeexpires)}} as expires_date_key,
  {{dimDateKey(j.baselinetimeexpires)}} as baseline_expires_date_key,
  {{dimDateKey(j.due_at)}} as due_date_key,
  j.timedue,
  j.due_at,
  j.timecompleted as completed_at,
  j.timewindowopens as window_opens_at,
  j.timeexpires as expires_at,
  case when j.timedue = 0 then 'timedue is 0: a data error (no due date is -1)' end as due_date_problem
from judged j
left join gold.dim_user u on u.user_key = j.userid and u.user_key <> -1
left join gold.dim_certification d on d.certification_key = j.certifid and d.certification_key <> -1
