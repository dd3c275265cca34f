import { DIM_DATE_FIRST, DIM_DATE_LAST } from '../models/placeholders';

/**
 * Where each source file's silver rows end up in gold, and the rows that rightly do not: a row
 * of silver either becomes a row of `gold` or is counted by one of `differences`.
 */
export interface ReconciliationSpec {
  source: string;
  /** The gold tables its rows become (their rows summed); empty when it only feeds other tables. */
  gold: readonly { table: string; where?: string }[];
  /** For a source with no gold table of its own: what it feeds. */
  feeds?: string;
  /** Silver rows that are not gold rows, each with the reason and a query counting them (one value, n). */
  differences: readonly { reason: string; rows: string }[];
}

const silverMinusDistinct = (table: string, grain: string) =>
  `select (select count(*) from silver.${table}) - (select count(*) from (select distinct ${grain} from silver.${table}) as d) as n`;

export const RECONCILIATION: readonly ReconciliationSpec[] = [
  { source: 'null_dates', gold: [], feeds: 'the sentinel dates silver reads as "not set"', differences: [] },
  {
    source: 'dimdates',
    gold: [{ table: 'gold.dim_date', where: 'from_fiscal_calendar' }],
    differences: [
      {
        reason: `days outside the date dimension (${DIM_DATE_FIRST} to ${DIM_DATE_LAST})`,
        rows: `select count(*) as n from silver.dimdates where cast(date as date) < date '${DIM_DATE_FIRST}' or cast(date as date) > date '${DIM_DATE_LAST}'`,
      },
    ],
  },
  { source: 'users', gold: [{ table: 'gold.dim_user', where: 'user_key <> -1' }], differences: [] },
  { source: 'job_assignments', gold: [], feeds: "gold.dim_user (each user's primary assignment) and the manager hierarchy", differences: [] },
  { source: 'organisations', gold: [{ table: 'gold.dim_organisation', where: 'organisation_key <> -1' }], differences: [] },
  { source: 'positions', gold: [{ table: 'gold.dim_position', where: 'position_key <> -1' }], differences: [] },
  { source: 'courses', gold: [{ table: 'gold.dim_course', where: 'course_key <> -1' }], differences: [] },
  { source: 'course_completions', gold: [{ table: 'gold.fact_course_progress' }], differences: [] },
  {
    source: 'programs',
    gold: [
      { table: 'gold.dim_program', where: 'program_key <> -1' },
      { table: 'gold.dim_certification', where: 'certification_key <> -1' },
    ],
    differences: [
      {
        reason: 'programs repeating the certifid of a lower program id (the lowest is the certification)',
        rows: 'select count(*) - count(distinct certifid) as n from silver.programs where certifid is not null',
      },
    ],
  },
  {
    source: 'prog_completions',
    gold: [{ table: 'gold.fact_program_progress' }],
    differences: [
      { reason: 'course-set rows (coursesetid > 0), out of contract for program progress', rows: 'select count(*) as n from silver.prog_completions where coursesetid <> 0' },
      {
        reason: "certifications' program rows (they give fact_certification_progress its due dates)",
        rows: 'select count(*) as n from silver.prog_completions where coursesetid = 0 and programid in (select id from silver.programs where certifid is not null)',
      },
    ],
  },
  { source: 'cert_completions', gold: [{ table: 'gold.fact_certification_progress' }], differences: [] },
  { source: 'scorm', gold: [{ table: 'gold.dim_scorm', where: 'scorm_key <> -1' }], differences: [] },
  {
    source: 'scorm_tracks',
    gold: [{ table: 'gold.fact_scorm' }],
    differences: [{ reason: 'element rows pivoted into one row per user x scorm x attempt', rows: silverMinusDistinct('scorm_tracks', 'userid, scormid, attempt') }],
  },
  { source: 'seminar_sessions', gold: [{ table: 'gold.dim_seminar_session', where: 'seminar_session_key <> -1' }], differences: [] },
  {
    source: 'seminar_signups',
    gold: [{ table: 'gold.fact_seminar_signup' }],
    differences: [{ reason: "earlier or superseded status rows behind each signup's current status", rows: silverMinusDistinct('seminar_signups', 'signupid') }],
  },
  { source: 'program_courses', gold: [], feeds: 'gold.fact_course_to_cert_progress (the courses counting toward each certification)', differences: [] },
];
