import { NULL_DATES } from '@kineo/contract';
import type { Catalogue } from './catalogue';
import { sessionDates } from './catalogue';
import { contractFile, CsvWriter, drainAll } from './csv-writer';
import type { GenerateProgress } from './generator.types';
import type { Settings } from './generator.settings';
import { NULL_DATE_VALUES } from './generator.settings';
import { mix, Rng } from './random.util';
import type { Hierarchy } from './workforce';

/**
 * The files that describe the organisation and its catalogue rather than people: small next to the
 * per-user files (seminar sessions grow with users, so they stream like the rest).
 */
export type Open = (name: string, columns: readonly string[]) => CsvWriter;

export function opener(s: Settings, onProgress?: (p: GenerateProgress) => void): Open {
  return (name, columns) => {
    const spec = contractFile(name, columns);
    return new CsvWriter(s.dir, `${name}.csv`, spec.columns.map((c) => c.name), s.timeFormat, onProgress);
  };
}

function paths(h: Hierarchy): string[] {
  const result = new Array<string>(h.count + 1).fill('');
  // Parents always have smaller ids than their children in both hierarchies.
  for (let id = 1; id <= h.count; id++) result[id] = `${h.parent[id] === 0 ? '' : result[h.parent[id]]}/${id}`;
  return result;
}

export async function writeOrganisations(open: Open, s: Settings, h: Hierarchy) {
  const w = open('organisations', ['id', 'frameworkid', 'parentid', 'path', 'depthlevel', 'shortname', 'fullname', 'idnumber', 'visible']);
  const path = paths(h);
  for (let id = 1; id <= h.count; id++) {
    const visible = id > 1 && mix(s.seed, id) % 40 === 0 ? 0 : 1;
    w.values([id, 1, h.parent[id], path[id], h.depth[id], h.shortname[id], h.fullname[id], `ORG-${String(id).padStart(5, '0')}`, visible]);
    if (w.blocked) await w.drain();
  }
  return w.close();
}

export async function writePositions(open: Open, h: Hierarchy) {
  const w = open('positions', ['id', 'frameworkid', 'parentid', 'path', 'depthlevel', 'shortname', 'fullname', 'idnumber']);
  const path = paths(h);
  for (let id = 1; id <= h.count; id++) {
    w.values([id, 1, h.parent[id], path[id], h.depth[id], h.shortname[id], h.fullname[id], `POS-${String(id).padStart(3, '0')}`]);
  }
  return w.close();
}

export async function writeCourses(open: Open, c: Catalogue) {
  const w = open('courses', ['id', 'fullname', 'shortname', 'idnumber', 'category', 'coursetype', 'visible', 'startdate', 'enablecompletion']);
  for (const course of c.courses) {
    w.begin();
    w.values([course.id, course.fullname, course.shortname, course.idnumber, course.category, course.type, course.visible, w.t(course.startdate), course.enablecompletion]);
  }
  return w.close();
}

export async function writePrograms(open: Open, c: Catalogue) {
  const w = open('programs', [
    'id', 'fullname', 'shortname', 'idnumber', 'category', 'visible', 'available', 'certifid', 'activeperiod', 'minimumactiveperiod',
    'windowperiod', 'recertifydatetype',
  ]);
  for (const p of c.programs) {
    const cert = p.certifId !== 0;
    w.values([
      p.id, p.fullname, p.shortname, p.idnumber, p.category, p.visible, p.available,
      cert ? p.certifId : '', p.active?.text ?? '', p.minimumActive, p.window?.text ?? '', cert ? p.recertifyDateType : '',
    ]);
  }
  return w.close();
}

export async function writeProgramCourses(open: Open, c: Catalogue) {
  const w = open('program_courses', ['programid', 'coursesetid', 'courseid', 'certifpath']);
  for (const p of c.programs) {
    for (const set of p.sets) {
      for (const course of set.courses) w.values([p.id, set.id, c.courses[course].id, set.certifpath === 0 ? '' : set.certifpath]);
    }
  }
  return w.close();
}

export async function writeScorm(open: Open, c: Catalogue) {
  const w = open('scorm', ['id', 'course', 'name', 'version', 'whatgrade', 'maxattempt']);
  for (const p of c.scorms) w.values([p.id, c.courses[p.courseIndex].id, p.name, p.version, p.whatgrade, p.maxattempt]);
  return w.close();
}

/** One row per session date; records each session's last finish for the signups written later. */
export async function writeSeminarSessions(open: Open, s: Settings, c: Catalogue) {
  const w = open('seminar_sessions', ['sessionid', 'facetofaceid', 'seminarname', 'courseid', 'capacity', 'cancelledstatus', 'timestart', 'timefinish']);
  const sessions = c.sessions;
  const rng = new Rng(0);
  for (let k = 0; k < sessions.count; k++) {
    const seminar = c.seminars[sessions.seminar[k]];
    const { dates, capacity } = sessionDates(s, sessions, k, rng);
    for (const d of dates) {
      w.begin();
      w.values([k + 1, seminar.id, seminar.name, c.courses[seminar.courseIndex].id, capacity, sessions.cancelled[k], w.t(d.start), w.t(d.finish)]);
    }
    sessions.end[k] = dates[dates.length - 1].finish;
    await drainAll([w]);
  }
  return w.close();
}

export async function writeNullDates(s: Settings, onProgress?: (p: GenerateProgress) => void) {
  const columns = NULL_DATES.columns.map((c) => c.name);
  if (columns.join(',') !== 'value') throw new Error(`The contract's null_dates columns are ${columns.join(',')}, not value`);
  const w = new CsvWriter(s.dir, `${NULL_DATES.name}.csv`, columns, 'unix', onProgress);
  for (const value of NULL_DATE_VALUES) w.values([value]);
  return w.close();
}
