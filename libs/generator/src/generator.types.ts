export type TimeFormat = 'unix' | 'iso' | 'mixed';

export interface GenerateProgress {
  /** File name with its extension, e.g. `course_completions.csv`. */
  file: string;
  /** Rows written to it so far (header excluded). */
  rows: number;
}

export interface GenerateOptions {
  /** Directory to write into; created if missing. Existing files of the same names are replaced. */
  dir: string;
  /** Number of users in the organisation (at least 50). */
  users: number;
  /** Default 1. The same seed (and options) gives byte-identical files. */
  seed?: number;
  /** How many years of learning history before `asOf`. Default 3. */
  years?: number;
  /** The export's "now": statuses, expiries and due dates are consistent with it. Default today, 00:00 UTC. */
  asOf?: Date;
  /** Also write dimdates.xlsx. */
  fiscalCalendar?: boolean;
  /** 1-12, the month the fiscal year starts. Default 7 (July). */
  fiscalYearStartMonth?: number;
  /** Unix seconds (default), ISO-8601 everywhere, or a deterministic per-row mix of the two. */
  timeFormat?: TimeFormat;
  onProgress?: (p: GenerateProgress) => void;
}

export interface FileReport {
  rows: number;
  bytes: number;
}

export interface ProgramUserCase {
  programId: number;
  userId: number;
}

export interface CertificationUserCase {
  certifId: number;
  programId: number;
  userId: number;
}

export interface SentinelDateCase {
  file: string;
  column: string;
  /** The row's `id`. */
  id: number;
  value: string;
}

/**
 * Where the awkward cases are, so tests can go straight to them. Ids are the LMS ids written in the files
 * (user ids unless the name says otherwise). The hand-placed cases are always present; lists of cases that
 * arise at random rates are samples, capped at `CASE_SAMPLE_LIMIT` entries each.
 */
export interface GenerateCases {
  /** Users with two or three job assignments; their non-primary one has a different manager. */
  multipleJobAssignments: number[];
  /** Of those, users whose primary assignment (lowest sortorder) has the higher id. */
  primaryAssignmentNotLowestId: number[];
  /** Users whose managerjaid names their manager's non-primary assignment. */
  managedThroughSecondaryAssignment: number[];
  /** Users whose primary assignment has a temporary manager that expires after as_of. */
  tempManagerActive: number[];
  /** Users whose primary assignment has a temporary manager that expired before as_of. */
  tempManagerExpired: number[];
  /** deleted = 1 users whose assignment is still some other user's managerjaid. */
  deletedManagers: number[];
  /** Other deleted users (leavers). */
  deletedUsers: number[];
  /** suspended = 1 users; the first is a manager with reports. */
  suspendedUsers: number[];
  noJobAssignment: number[];
  /** Users whose primary assignment's managerjaid is their own assignment's id. */
  selfManaged: number[];
  /** Each cycle lists users in order: each manages the next, and the last manages the first. */
  managerCycles: number[][];
  /** Users whose manager sits on a cycle (but who are not on it themselves). */
  reportsOfCycle: number[];
  /** Users whose primary managerjaid names a job assignment id that is not in the file. */
  danglingManagerAssignment: number[];
  /** Of those, the ones who manage others themselves (they head a tree of their own). */
  danglingManagerWithReports: number[];
  /** Job assignment ids that are not in job_assignments.csv but are referenced as managerjaid. */
  missingJobAssignmentIds: number[];
  /** Values from null_dates.csv used as dates in the files. */
  sentinelDates: SentinelDateCase[];
  /** Plain programs: not complete, 0 < timedue < as_of, user active. */
  programsOverdue: ProgramUserCase[];
  /** Plain programs: timedue = -1. */
  programsNoDueDate: ProgramUserCase[];
  /** Plain programs: timedue = 0 (a data error the platform flags). */
  programsDueDateError: ProgramUserCase[];
  certificationsAssigned: CertificationUserCase[];
  certificationsInProgress: CertificationUserCase[];
  certificationsCertified: CertificationUserCase[];
  certificationsWindowOpen: CertificationUserCase[];
  certificationsExpired: CertificationUserCase[];
  /** Not certified, and the certification program's 0 < timedue < as_of. */
  certificationsOverdue: CertificationUserCase[];
}

export interface GenerateReport {
  dir: string;
  seed: number;
  /** The as_of used, ISO-8601. */
  asOf: string;
  /** The same instant in Unix seconds. */
  asOfUnix: number;
  users: number;
  years: number;
  timeFormat: TimeFormat;
  /** Levels in the primary management tree, the top user being level 1. */
  hierarchyLevels: number;
  /** Present when dimdates.xlsx was written. FY naming: the calendar year in which the fiscal year ends. */
  fiscalCalendar?: { file: string; startMonth: number; rows: number };
  /** By file name with extension: rows written (header excluded) and bytes. */
  files: Record<string, FileReport>;
  totalRows: number;
  durationMs: number;
  cases: GenerateCases;
}
