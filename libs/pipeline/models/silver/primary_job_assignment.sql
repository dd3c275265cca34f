-- model: silver.primary_job_assignment
-- depends: silver.job_assignments, silver.users
-- stage: silver
-- A user's primary job assignment is their lowest sortorder (ties: the lowest id). Deleted users
-- have none: they are outside the hierarchy.
create or replace table silver.primary_job_assignment as
select ja.*
from silver.job_assignments ja
join silver.users u on u.id = ja.userid and not coalesce(u.deleted, false)
qualify row_number() over (partition by ja.userid order by ja.sortorder nulls last, ja.id) = 1
