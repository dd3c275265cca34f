/**
 * The LMS export contract (shared/data-contract.md) as data: every source file, its columns,
 * its key and what each column must hold. Ingestion, silver, the generator and the docs read it.
 */
export type ColumnKind =
  | 'id' // integer id from the LMS (non-negative; 0 or empty allowed where nullable)
  | 'int' // any integer (e.g. timedue -1)
  | 'time' // Unix seconds or ISO-8601; 0/empty/sentinel = not set
  | 'bool' // 0/1
  | 'code' // an integer code from a fixed list
  | 'text';

export interface ColumnSpec {
  name: string;
  kind: ColumnKind;
  /** Empty is acceptable (ids: empty or 0 means none). */
  nullable?: boolean;
  /** For 'code' columns: the values the contract lists. */
  codes?: readonly number[];
}

export interface SourceFileSpec {
  /** File name without extension, also the bronze/silver table name. */
  name: string;
  required: boolean;
  key: readonly string[];
  columns: readonly ColumnSpec[];
}

const id = (name: string, nullable = false): ColumnSpec => ({ name, kind: 'id', nullable });
const int = (name: string, nullable = true): ColumnSpec => ({ name, kind: 'int', nullable });
const time = (name: string): ColumnSpec => ({ name, kind: 'time', nullable: true });
const text = (name: string): ColumnSpec => ({ name, kind: 'text', nullable: true });
const bool = (name: string): ColumnSpec => ({ name, kind: 'bool', nullable: true });
const code = (name: string, codes: readonly number[], nullable = false): ColumnSpec => ({ name, kind: 'code', codes, nullable });

export const COURSE_STATUS = { 0: 'unknown', 10: 'not_started', 25: 'in_progress', 50: 'complete', 75: 'complete_rpl' } as const;
export const SEMINAR_STATUS_CODES = [0, 10, 20, 30, 40, 45, 50, 60, 70, 80, 90, 100] as const;

export const SOURCE_FILES: readonly SourceFileSpec[] = [
  {
    name: 'users',
    required: true,
    key: ['id'],
    columns: [
      id('id'), text('username'), text('idnumber'), text('firstname'), text('lastname'), text('email'),
      text('department'), text('city'), text('country'), text('timezone'), bool('suspended'), bool('deleted'),
      time('timecreated'), time('lastaccess'),
    ],
  },
  {
    name: 'job_assignments',
    required: true,
    key: ['id'],
    columns: [
      id('id'), id('userid'), text('idnumber'), text('fullname'), int('sortorder'), id('managerjaid', true),
      id('tempmanagerjaid', true), time('tempmanagerexpirydate'), id('organisationid', true), id('positionid', true),
      time('startdate'), time('enddate'),
    ],
  },
  {
    name: 'organisations',
    required: false,
    key: ['id'],
    columns: [id('id'), id('frameworkid', true), id('parentid', true), text('path'), int('depthlevel'), text('shortname'), text('fullname'), text('idnumber'), bool('visible')],
  },
  {
    name: 'positions',
    required: false,
    key: ['id'],
    columns: [id('id'), id('frameworkid', true), id('parentid', true), text('path'), int('depthlevel'), text('shortname'), text('fullname'), text('idnumber')],
  },
  {
    name: 'courses',
    required: true,
    key: ['id'],
    columns: [
      id('id'), text('fullname'), text('shortname'), text('idnumber'), id('category', true), code('coursetype', [0, 1, 2], true),
      bool('visible'), time('startdate'), bool('enablecompletion'),
    ],
  },
  {
    name: 'course_completions',
    required: true,
    key: ['userid', 'course'],
    columns: [
      id('id'), id('userid'), id('course'), time('timeenrolled'), time('timestarted'), time('timecompleted'),
      code('status', [0, 10, 25, 50, 75]), text('rplgrade'), id('organisationid', true), id('positionid', true),
    ],
  },
  {
    name: 'programs',
    required: false,
    key: ['id'],
    columns: [
      id('id'), text('fullname'), text('shortname'), text('idnumber'), id('category', true), bool('visible'), bool('available'),
      id('certifid', true), text('activeperiod'), text('minimumactiveperiod'), text('windowperiod'), code('recertifydatetype', [1, 2, 3], true),
    ],
  },
  {
    name: 'prog_completions',
    required: false,
    key: ['programid', 'userid', 'coursesetid'],
    columns: [
      id('id'), id('programid'), id('userid'), id('coursesetid'), code('status', [0, 1, 2, 3]), time('timecreated'),
      time('timestarted'), int('timedue'), time('timecompleted'), id('organisationid', true), id('positionid', true),
    ],
  },
  {
    name: 'cert_completions',
    required: false,
    key: ['certifid', 'userid'],
    columns: [
      id('id'), id('certifid'), id('userid'), code('certifpath', [1, 2]), code('status', [1, 2, 3, 4]), code('renewalstatus', [0, 1, 2]),
      time('timewindowopens'), time('timeexpires'), time('baselinetimeexpires'), time('timecompleted'), time('timemodified'),
    ],
  },
  {
    name: 'scorm',
    required: false,
    key: ['id'],
    columns: [id('id'), id('course'), text('name'), text('version'), code('whatgrade', [0, 1, 2, 3], true), int('maxattempt')],
  },
  {
    name: 'scorm_tracks',
    required: false,
    key: ['userid', 'scormid', 'scoid', 'attempt', 'element'],
    columns: [id('userid'), id('scormid'), id('scoid'), int('attempt', false), text('element'), text('value'), time('timemodified')],
  },
  {
    name: 'seminar_sessions',
    required: false,
    key: ['sessionid', 'timestart'],
    columns: [id('sessionid'), id('facetofaceid'), text('seminarname'), id('courseid', true), int('capacity'), bool('cancelledstatus'), time('timestart'), time('timefinish')],
  },
  {
    name: 'seminar_signups',
    required: false,
    key: ['signupid', 'timecreated'],
    columns: [id('signupid'), id('sessionid'), id('userid'), code('statuscode', SEMINAR_STATUS_CODES), bool('superceded'), text('grade'), time('timecreated')],
  },
  {
    name: 'program_courses',
    required: false,
    key: ['programid', 'coursesetid', 'courseid'],
    columns: [id('programid'), id('coursesetid'), id('courseid'), code('certifpath', [1, 2], true)],
  },
];

/** The two utility files that may come with the exports. */
export const NULL_DATES: SourceFileSpec = { name: 'null_dates', required: false, key: ['value'], columns: [text('value')] };
export const FISCAL_CALENDAR: SourceFileSpec = {
  name: 'dimdates',
  required: false,
  key: ['date'],
  columns: [
    { name: 'date', kind: 'time' },
    { name: 'fiscal_year', kind: 'int', nullable: false },
    { name: 'fiscal_quarter', kind: 'code', codes: [1, 2, 3, 4] },
    { name: 'fiscal_period', kind: 'code', codes: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12] },
  ],
};

/** Everything a load may contain, utility files first (sentinel dates apply to the rest). */
export const ALL_FILES: readonly SourceFileSpec[] = [NULL_DATES, FISCAL_CALENDAR, ...SOURCE_FILES];

export function sourceFile(name: string): SourceFileSpec | undefined {
  return ALL_FILES.find((f) => f.name === name);
}
