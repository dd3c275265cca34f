-- model: silver.scorm_sco_attempts
-- depends: silver.scorm_tracks, silver.scorm
-- stage: gold
-- scorm_tracks pivoted to one row per user x scorm x SCO x attempt, read by the version's rules:
-- SCORM 1.2 (SCORM_12) complete when cmi.core.lesson_status is passed or completed, passed when
-- passed; SCORM 2004 (SCORM_13) complete when cmi.completion_status is completed, passed when
-- cmi.success_status is passed. A package missing from scorm.csv (or with another version) is
-- read by the elements it reports. Values compare case-insensitively; status keeps the text given.
-- total_time in seconds from 'HHHH:MM:SS.SS' (1.2) or an ISO-8601 duration such as 'PT1H2M3.5S'
-- (2004; years count 365 days and months 30, as SCORM leaves them undefined); NULL when unreadable.
-- time_recorded_at is the timemodified of the total_time track (learning time is dated by it).
create or replace table silver.scorm_sco_attempts as
with pivoted as (
  select
    t.userid,
    t.scormid,
    t.scoid,
    t.attempt,
    max(case when lower(trim(t.element)) = 'cmi.core.lesson_status' then trim(t.value) end) as lesson_status,
    max(case when lower(trim(t.element)) = 'cmi.completion_status' then trim(t.value) end) as completion_status,
    max(case when lower(trim(t.element)) = 'cmi.success_status' then trim(t.value) end) as success_status,
    max(case when lower(trim(t.element)) = 'cmi.core.total_time' then trim(t.value) end) as total_time_12,
    max(case when lower(trim(t.element)) = 'cmi.total_time' then trim(t.value) end) as total_time_2004,
    max(case when lower(trim(t.element)) in ('cmi.core.score.raw', 'cmi.score.raw') then try_cast(trim(t.value) as double) end) as score,
    max(case when lower(trim(t.element)) in ('cmi.core.total_time', 'cmi.total_time') then t.timemodified end) as time_recorded_at,
    max(t.timemodified) as last_modified_at
  from silver.scorm_tracks t
  group by t.userid, t.scormid, t.scoid, t.attempt
),
versioned as (
  select
    p.*,
    case
      when upper(trim(s.version)) = 'SCORM_12' then '1.2'
      when upper(trim(s.version)) = 'SCORM_13' then '2004'
      when p.lesson_status is not null or p.total_time_12 is not null then '1.2'
      when p.completion_status is not null or p.success_status is not null or p.total_time_2004 is not null then '2004'
      else 'N/A'
    end as scorm_version
  from pivoted p
  left join silver.scorm s on s.id = p.scormid
),
interpreted as (
  select
    v.*,
    case when v.scorm_version = '2004' then v.completion_status else v.lesson_status end as status,
    case
      when v.scorm_version = '2004' then lower(v.completion_status) = 'completed'
      else lower(v.lesson_status) in ('passed', 'completed')
    end as is_complete,
    case
      when v.scorm_version = '2004' then lower(v.success_status) = 'passed'
      else lower(v.lesson_status) = 'passed'
    end as passed,
    upper(case when v.scorm_version = '2004' then coalesce(v.total_time_2004, v.total_time_12) else coalesce(v.total_time_12, v.total_time_2004) end) as total_time
  from versioned v
)
select
  r.userid,
  r.scormid,
  r.scoid,
  r.attempt,
  r.scorm_version,
  r.status,
  r.success_status,
  r.is_complete,
  r.passed,
  r.score,
  r.total_time,
  case
    when {{fullMatch(r.total_time, '[0-9]+:[0-9]{1,2}:[0-9]{1,2}([.][0-9]+)?')}} then
      cast(regexp_extract(r.total_time, '^([0-9]+):', 1) as double) * 3600
      + cast(regexp_extract(r.total_time, '^[0-9]+:([0-9]+):', 1) as double) * 60
      + cast(regexp_extract(r.total_time, ':([0-9.]+)$', 1) as double)
    when r.total_time <> 'P' and r.total_time not like '%T'
      and {{fullMatch(r.total_time, 'P([0-9]+Y)?([0-9]+M)?([0-9]+D)?(T([0-9]+H)?([0-9]+M)?([0-9]+([.][0-9]+)?S)?)?')}} then
      coalesce(cast(nullif(regexp_extract(r.total_time, '^P([0-9]+)Y', 1), '') as double), 0) * 31536000
      + coalesce(cast(nullif(regexp_extract(r.total_time, '^P([0-9]+Y)?([0-9]+)M', 2), '') as double), 0) * 2592000
      + coalesce(cast(nullif(regexp_extract(r.total_time, '([0-9]+)D', 1), '') as double), 0) * 86400
      + coalesce(cast(nullif(regexp_extract(r.total_time, 'T([0-9]+)H', 1), '') as double), 0) * 3600
      + coalesce(cast(nullif(regexp_extract(r.total_time, 'T([0-9]+H)?([0-9]+)M', 2), '') as double), 0) * 60
      + coalesce(cast(nullif(regexp_extract(r.total_time, '([0-9.]+)S', 1), '') as double), 0)
  end as total_seconds,
  r.time_recorded_at,
  r.last_modified_at
from interpreted r
