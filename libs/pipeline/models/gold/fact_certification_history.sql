-- model: gold.fact_certification_history
-- depends: silver.certification_history, silver.fiscal_years, silver.load_years, gold.dim_user, gold.dim_certification
-- stage: snapshots
-- Each user x certification's state at the end of every closed fiscal year, plus the current year
-- so far (is_year_closed false). completions_seen: certification cycles completed by then across
-- all loads; recertifications: those after the first. How the rows are made:
-- silver.certification_history.
create or replace table gold.fact_certification_history as
select
  h.fiscal_year,
  {{dimDateKey(h.fiscal_year_end)}} as fiscal_year_end_date_key,
  h.is_closed as is_year_closed,
  coalesce(u.user_key, -1) as user_key,
  coalesce(c.certification_key, -1) as certification_key,
  h.user_id,
  h.certification_id,
  h.state,
  h.rag,
  h.is_overdue,
  h.is_compliant,
  {{dimDateKey(h.completed_at)}} as completed_date_key,
  {{dimDateKey(h.expires_at)}} as expires_date_key,
  h.completions_seen,
  case when h.completions_seen > 1 then h.completions_seen - 1 else 0 end as recertifications,
  h.basis,
  case when h.fiscal_year in (select l.fiscal_year from silver.load_years l) then 'observed' else 'completions_only' end as year_end_basis,
  h.recorded_as_of
from silver.certification_history h
left join gold.dim_user u on u.user_key = h.user_id and u.user_key <> -1
left join gold.dim_certification c on c.certification_key = h.certification_id and c.certification_key <> -1
where h.is_closed or h.fiscal_year in (select f.fiscal_year from silver.fiscal_years f where f.is_current)
