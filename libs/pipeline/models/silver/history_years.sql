-- model: silver.history_years
-- kind: incremental
-- stage: snapshots
-- The fiscal years each history table has closed, and the build (as_of) that closed them. Kept
-- across builds: once a year is listed here for a history, no build writes that year again.
-- create
create table if not exists silver.history_years (
  history string,
  fiscal_year int,
  fiscal_year_end date,
  closed_as_of timestamp
)
