-- model: silver.manager_closure
-- depends: silver.user_manager
-- stage: hierarchy
-- kind: iterate
-- Every manager above every user, at the shortest number of hops, built one level at a time
-- until a level adds nothing. A pair already known is never added again, so a cycle ends the
-- walk instead of looping; a user on a cycle reaches themself (manager_user_id = user_id).
-- seed
create or replace table silver.manager_closure as
select manager_user_id, user_id, 1 as depth
from silver.user_manager
where manager_user_id is not null
-- step
insert into silver.manager_closure
select distinct c.manager_user_id, m.user_id, c.depth + 1
from silver.manager_closure c
join silver.user_manager m on m.manager_user_id = c.user_id
where c.depth = ?
  and not exists (
    select 1 from silver.manager_closure x
    where x.manager_user_id = c.manager_user_id and x.user_id = m.user_id
  )
