-- model: silver.user_manager
-- depends: silver.users, silver.primary_job_assignment, silver.job_assignments, silver._build
-- stage: hierarchy
-- Every user who is not deleted, with their manager as at the build's as_of: the user of the
-- job assignment named by the primary assignment's tempmanagerjaid while tempmanagerexpirydate is
-- after as_of, otherwise by its managerjaid. When that assignment does not exist or its user is
-- deleted, the user has no manager (NULL here, the unknown member in gold).
create or replace table silver.user_manager as
with chosen as (
  select
    u.id as user_id,
    p.id as job_assignment_id,
    case
      when p.tempmanagerjaid is not null and p.tempmanagerexpirydate > (select as_of from silver._build)
        then p.tempmanagerjaid
      else p.managerjaid
    end as manager_ja_id,
    (p.tempmanagerjaid is not null and p.tempmanagerexpirydate > (select as_of from silver._build)) as is_temporary
  from silver.users u
  left join silver.primary_job_assignment p on p.userid = u.id
  where not coalesce(u.deleted, false)
)
select
  c.user_id,
  c.job_assignment_id,
  case when mu.id is not null then mja.userid end as manager_user_id,
  case when mu.id is not null then c.is_temporary else false end as is_temporary_manager,
  case
    when c.manager_ja_id is null then null
    when mja.id is null then 'manager job assignment ' || c.manager_ja_id || ' does not exist'
    when mu.id is null then 'manager user ' || mja.userid || ' is deleted or missing'
  end as manager_problem
from chosen c
left join silver.job_assignments mja on mja.id = c.manager_ja_id
left join silver.users mu on mu.id = mja.userid and not coalesce(mu.deleted, false)
