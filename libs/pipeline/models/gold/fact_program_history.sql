-- model: gold.fact_program_history
-- depends: silver.program_history, silver.fiscal_years, silver.load_years, gold.dim_user, gold.dim_program
-- stage: snapshots
-- Each user x plain program's status at the end of every closed fiscal year, plus the current
-- year so far (is_year_closed false). How the rows are made: silver.program_history.
create or replace table gold.fact_program_history as
select
  h.fiscal_year,
  {{dimDateKey(h.fiscal_year_end)}} as fiscal_year_end_date_key,
  h.is_closed as is_year_closed,
  coalesce(u.user_key, -1) as user_key,
  coalesce(p.program_key, -1) as program_key,
  h.user_id,
  h.program_id,
  h.status,
  h.status = 'complete' as is_complete,
  h.is_overdue,
  {{dimDateKey(h.due_at)}} as due_date_key,
  {{dimDateKey(h.completed_at)}} as completed_date_key,
  h.basis,
  case when h.fiscal_year in (select l.fiscal_year from silver.load_years l) then 'observed' else 'completions_only' end as year_end_basis,
  h.recorded_as_of
from silver.program_history h
left join gold.dim_user u on u.user_key = h.user_id and u.user_key <> -1
left join gold.dim_program p on p.program_key = h.program_id and p.program_key <> -1
where h.is_closed or h.fiscal_year in (select f.fiscal_year from silver.fiscal_years f where f.is_current)
