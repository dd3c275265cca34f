-- model: silver.hierarchy_cycles
-- depends: silver.manager_closure
-- stage: hierarchy
-- Users on a management cycle (A manages B manages A, or a self-managed user), each with the
-- cycle they are on: users who reach each other share it, named by its lowest user id.
create or replace table silver.hierarchy_cycles as
with on_cycle as (
  select user_id, depth as cycle_length from silver.manager_closure where manager_user_id = user_id
)
select
  o.user_id,
  min(c.manager_user_id) as cycle_id,
  o.cycle_length
from on_cycle o
join silver.manager_closure c on c.user_id = o.user_id
join silver.manager_closure back on back.manager_user_id = o.user_id and back.user_id = c.manager_user_id
group by o.user_id, o.cycle_length
