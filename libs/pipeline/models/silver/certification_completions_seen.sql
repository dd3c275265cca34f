-- model: silver.certification_completions_seen
-- depends: silver.cert_completions, silver._build
-- kind: incremental
-- stage: snapshots
-- Every certification completion time any load has shown for a user x certification. A load
-- carries only the current cycle, so recertification cycles are counted across loads: each
-- distinct timecompleted seen is one completed cycle.
-- create
create table if not exists silver.certification_completions_seen (
  user_id bigint,
  certification_id bigint,
  timecompleted timestamp,
  first_seen_as_of timestamp
)
-- apply
insert into silver.certification_completions_seen (user_id, certification_id, timecompleted, first_seen_as_of)
select distinct cc.userid, cc.certifid, cc.timecompleted, b.as_of
from silver.cert_completions cc
cross join (select as_of from silver._build) b
where cc.timecompleted is not null
  and not exists (
    select 1 from silver.certification_completions_seen s
    where s.user_id = cc.userid and s.certification_id = cc.certifid and s.timecompleted = cc.timecompleted
  )
