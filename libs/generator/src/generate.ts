import fs from 'node:fs/promises';
import { buildCatalogue } from './catalogue';
import { drainAll, type CsvWriter, type WrittenFile } from './csv-writer';
import { writeFiscalCalendar } from './fiscal-calendar';
import type { FileReport, GenerateCases, GenerateOptions, GenerateReport } from './generator.types';
import { resolveSettings, type Settings } from './generator.settings';
import { CASE_SAMPLE_LIMIT, LEARNER_COLUMNS, LearnerFiles, type LearnerWriters } from './learner-files';
import {
  opener,
  writeCourses,
  writeNullDates,
  writeOrganisations,
  writePositions,
  writeProgramCourses,
  writePrograms,
  writeScorm,
  writeSeminarSessions,
} from './reference-files';
import { buildWorkforce, FLAG, userId, type Workforce } from './workforce';

/**
 * Writes a synthetic Totara export for a realistic organisation: every source file of the contract,
 * null_dates.csv and, with `fiscalCalendar`, dimdates.xlsx. Rows stream to disk user by user, so memory
 * stays flat however many users are asked for.
 */
export async function generateExport(options: GenerateOptions): Promise<GenerateReport> {
  const began = Date.now();
  const s = resolveSettings(options);
  await fs.mkdir(s.dir, { recursive: true });
  const workforce = buildWorkforce(s);
  const catalogue = buildCatalogue(s);
  const open = opener(s, options.onProgress);

  const written: WrittenFile[] = [];
  written.push(await writeOrganisations(open, s, workforce.orgs));
  written.push(await writePositions(open, workforce.positions));
  written.push(await writeCourses(open, catalogue));
  written.push(await writePrograms(open, catalogue));
  written.push(await writeProgramCourses(open, catalogue));
  written.push(await writeScorm(open, catalogue));
  written.push(await writeSeminarSessions(open, s, catalogue));

  const writers: LearnerWriters = {
    users: open('users', LEARNER_COLUMNS.users),
    jobAssignments: open('job_assignments', LEARNER_COLUMNS.job_assignments),
    courseCompletions: open('course_completions', LEARNER_COLUMNS.course_completions),
    progCompletions: open('prog_completions', LEARNER_COLUMNS.prog_completions),
    certCompletions: open('cert_completions', LEARNER_COLUMNS.cert_completions),
    scormTracks: open('scorm_tracks', LEARNER_COLUMNS.scorm_tracks),
    seminarSignups: open('seminar_signups', LEARNER_COLUMNS.seminar_signups),
  };
  // LearnerWriters is an interface, which Object.values types as any[].
  const all = Object.values(writers) as CsvWriter[];
  const learners = new LearnerFiles(s, workforce, catalogue, writers);
  try {
    for (let u = 1; u <= s.users; u++) {
      learners.user(u);
      if (all.some((w) => w.blocked)) await drainAll(all);
    }
    for (const w of all) written.push(await w.close());
  } catch (error) {
    for (const w of all) w.abort();
    throw error;
  }
  written.push(await writeNullDates(s, options.onProgress));

  let fiscalCalendar: GenerateReport['fiscalCalendar'];
  if (s.fiscalCalendar) {
    const dimdates = await writeFiscalCalendar(s.dir, s.fiscalYearStartMonth, new Date(s.asOf * 1000));
    options.onProgress?.({ file: dimdates.file, rows: dimdates.rows });
    written.push(dimdates);
    fiscalCalendar = { file: dimdates.file, startMonth: s.fiscalYearStartMonth, rows: dimdates.rows };
  }

  const files: Record<string, FileReport> = {};
  let totalRows = 0;
  for (const f of written) {
    files[f.file] = { rows: f.rows, bytes: f.bytes };
    totalRows += f.rows;
  }
  const samples = learners.samples;
  const cases: GenerateCases = {
    ...workforceCases(s, workforce),
    sentinelDates: samples.sentinelDates.items,
    programsOverdue: samples.programsOverdue.items,
    programsNoDueDate: samples.programsNoDueDate.items,
    programsDueDateError: samples.programsDueDateError.items,
    certificationsAssigned: samples.certificationsAssigned.items,
    certificationsInProgress: samples.certificationsInProgress.items,
    certificationsCertified: samples.certificationsCertified.items,
    certificationsWindowOpen: samples.certificationsWindowOpen.items,
    certificationsExpired: samples.certificationsExpired.items,
    certificationsOverdue: samples.certificationsOverdue.items,
  };
  return {
    dir: s.dir,
    seed: s.seed,
    asOf: new Date(s.asOf * 1000).toISOString(),
    asOfUnix: s.asOf,
    users: s.users,
    years: s.years,
    timeFormat: s.timeFormat,
    hierarchyLevels: workforce.levels,
    fiscalCalendar,
    files,
    totalRows,
    durationMs: Date.now() - began,
    cases,
  };
}

type WorkforceCases = Omit<
  GenerateCases,
  | 'sentinelDates'
  | 'programsOverdue'
  | 'programsNoDueDate'
  | 'programsDueDateError'
  | 'certificationsAssigned'
  | 'certificationsInProgress'
  | 'certificationsCertified'
  | 'certificationsWindowOpen'
  | 'certificationsExpired'
  | 'certificationsOverdue'
>;

function workforceCases(s: Settings, w: Workforce): WorkforceCases {
  /** User ids from user indexes, the first sources first, up to the sample limit. */
  const ids = (...sources: Iterable<number>[]): number[] => {
    const out: number[] = [];
    for (const indexes of sources) {
      for (const u of indexes) {
        if (out.length >= CASE_SAMPLE_LIMIT) return out;
        if (u > 0 && !out.includes(userId(u))) out.push(userId(u));
      }
    }
    return out;
  };
  function* flagged(mask: number, without = 0) {
    for (let u = 1; u <= w.users; u++) if ((w.flags[u] & mask) === mask && (w.flags[u] & without) === 0) yield u;
  }
  function* temps(active: boolean) {
    for (const [u, t] of w.temp) if (t.expiry > s.asOf === active) yield u;
  }
  const sp = w.special;
  return {
    multipleJobAssignments: ids([sp.multipleManager], flagged(FLAG.multipleAssignments)),
    primaryAssignmentNotLowestId: ids([sp.multipleManager], flagged(FLAG.multipleAssignments | FLAG.primaryLast)),
    managedThroughSecondaryAssignment: ids(sp.viaSecondary),
    tempManagerActive: ids(temps(true)),
    tempManagerExpired: ids(temps(false)),
    deletedManagers: ids(sp.deletedManagers),
    deletedUsers: ids(flagged(FLAG.deleted, FLAG.deletedManager)),
    suspendedUsers: ids([sp.suspendedManager], flagged(FLAG.suspended)),
    noJobAssignment: ids(sp.noJobAssignment, flagged(FLAG.noJobAssignment)),
    selfManaged: ids(sp.selfManaged),
    managerCycles: sp.cycles.map((cycle) => cycle.map(userId)),
    reportsOfCycle: ids(sp.reportsOfCycle),
    danglingManagerAssignment: ids(sp.danglingLeaf, sp.danglingManager),
    danglingManagerWithReports: ids(sp.danglingManager),
    missingJobAssignmentIds: w.missingJa.slice(0, 2),
  };
}
