-- model: silver.user_all_reports
-- depends: silver.user_manager, silver.manager_closure
-- stage: hierarchy
-- UserAllReports: every user to themself (self, depth 0), to their manager (direct, 1) and to
-- every manager further up (indirect, 2+), each pair once at its shortest depth.
create or replace table silver.user_all_reports as
select user_id as manager_user_id, user_id, 'self' as relationship, 0 as depth
from silver.user_manager
union all
select manager_user_id, user_id, case when depth = 1 then 'direct' else 'indirect' end, depth
from silver.manager_closure
where manager_user_id <> user_id
