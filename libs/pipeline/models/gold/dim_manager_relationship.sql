-- model: gold.dim_manager_relationship
-- depends: silver.user_all_reports
-- stage: hierarchy
-- What dashboards join on to scope a manager to their reports (user keys are LMS user ids).
create or replace table gold.dim_manager_relationship as
select manager_user_id as manager_user_key, user_id as user_key, relationship, depth
from silver.user_all_reports
