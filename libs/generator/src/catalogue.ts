import type { Settings } from './generator.settings';
import { FIRST_COURSE_ID } from './generator.settings';
import { mix, Rng, SALT } from './random.util';
import { DAY, HOUR, MINUTE, period, startOfDay, type Period } from './time.util';
import { CERTIFICATION_NAMES, ELECTIVE_COURSES, initials, MANDATORY_COURSES, PROGRAM_NAMES, ROMAN } from './word-lists';

export const COURSE_TYPE = { elearning: 0, blended: 1, seminar: 2 } as const;

export interface Course {
  id: number;
  fullname: string;
  shortname: string;
  idnumber: string;
  category: number;
  type: number;
  visible: number;
  startdate: number;
  enablecompletion: number;
  /** Index of the first SCORM package in Catalogue.scorms, and how many the course has. */
  scormFirst: number;
  scormCount: number;
  /** The course's seminar activity (facetofaceid), 0 when it has none. */
  seminarId: number;
}

export interface Scorm {
  id: number;
  courseIndex: number;
  name: string;
  version: 'SCORM_12' | 'SCORM_13';
  whatgrade: number;
  maxattempt: number;
  scoFirst: number;
  scoCount: number;
}

export interface CourseSet {
  id: number;
  /** Course indexes. */
  courses: number[];
  /** 1 certification path, 2 recertification path; 0 for a plain program's set. */
  certifpath: number;
}

export interface Program {
  id: number;
  fullname: string;
  shortname: string;
  idnumber: string;
  category: number;
  visible: number;
  available: number;
  /** 0 for a plain program. */
  certifId: number;
  active?: Period;
  minimumActive: string;
  window?: Period;
  recertifyDateType: number;
  sets: CourseSet[];
}

export interface Seminar {
  id: number;
  courseIndex: number;
  name: string;
}

/** Seminar sessions, index = session id - 1, ordered by first start. */
export interface Sessions {
  count: number;
  start: Float64Array;
  end: Float64Array;
  seminar: Int32Array;
  cancelled: Uint8Array;
}

export interface Catalogue {
  courses: Course[];
  /** Course indexes almost everyone is enrolled on. */
  mandatory: number[];
  /** First elective index and the cumulative popularity of the electives from it. */
  electiveFirst: number;
  electiveWeights: Float64Array;
  scorms: Scorm[];
  programs: Program[];
  plainPrograms: Program[];
  certifications: Program[];
  seminars: Seminar[];
  sessions: Sessions;
}

export function buildCatalogue(s: Settings): Catalogue {
  const rng = new Rng(mix(s.seed, SALT.catalogue));
  const courseCount = Math.min(600, 30 + Math.floor(Math.sqrt(s.users) / 2));
  const courses: Course[] = [];
  const electiveFirst = MANDATORY_COURSES.length;
  for (let i = 0; i < courseCount; i++) {
    const mandatory = i < electiveFirst;
    const e = i - electiveFirst;
    const base = mandatory ? MANDATORY_COURSES[i] : ELECTIVE_COURSES[e % ELECTIVE_COURSES.length];
    const round = mandatory ? 0 : Math.floor(e / ELECTIVE_COURSES.length);
    const fullname = round === 0 ? base : `${base.replace(/\n/g, ' ')}${ROMAN[round] ?? ` ${round + 1}`}`;
    // The induction is blended and the first elective with quotes is a seminar, so every type is present.
    const type = mandatory ? COURSE_TYPE.elearning : e === 0 ? COURSE_TYPE.blended : e === 1 ? COURSE_TYPE.seminar : rng.weighted([0.55, 0.25, 0.2]);
    const id = FIRST_COURSE_ID + i;
    courses.push({
      id,
      fullname,
      shortname: `${initials(base) || 'C'}${100 + i}`,
      idnumber: `CRS-${String(id).padStart(4, '0')}`,
      category: mandatory ? 1 : rng.int(2, 8),
      type,
      visible: rng.chance(0.95) ? 1 : 0,
      startdate: startOfDay(s.historyStart - rng.int(0, 3 * 365) * DAY),
      enablecompletion: mandatory || rng.chance(0.96) ? 1 : 0,
      scormFirst: 0,
      scormCount: 0,
      seminarId: 0,
    });
  }
  const weights = new Float64Array(courseCount - electiveFirst);
  let total = 0;
  for (let e = 0; e < weights.length; e++) {
    total += (0.5 + rng.next()) / Math.pow(e + 2, 0.7);
    weights[e] = total;
  }

  const scorms: Scorm[] = [];
  let scoId = 1;
  for (let i = 0; i < courseCount; i++) {
    const c = courses[i];
    let packages = 0;
    if (c.type === COURSE_TYPE.elearning) packages = i < electiveFirst ? 1 : rng.weighted([0.03, 0.89, 0.08]);
    else if (c.type === COURSE_TYPE.blended) packages = rng.chance(0.6) ? 1 : 0;
    c.scormFirst = scorms.length;
    c.scormCount = packages;
    for (let k = 0; k < packages; k++) {
      const index = scorms.length;
      const version = index === 0 ? 'SCORM_12' : index === 1 ? 'SCORM_13' : rng.chance(0.6) ? 'SCORM_12' : 'SCORM_13';
      const scoCount = rng.chance(0.88) ? 1 : 2;
      scorms.push({
        id: index + 1,
        courseIndex: i,
        name: k === 0 ? c.fullname : `${c.fullname}: Assessment`,
        version,
        whatgrade: index < 4 ? index : rng.weighted([0.5, 0.2, 0.1, 0.2]),
        maxattempt: rng.pick([0, 0, 0, 1, 2, 3, 5]),
        scoFirst: scoId,
        scoCount,
      });
      scoId += scoCount;
    }
  }

  const seminars: Seminar[] = [];
  for (let i = 0; i < courseCount; i++) {
    const c = courses[i];
    if (c.type === COURSE_TYPE.elearning) continue;
    c.seminarId = seminars.length + 1;
    seminars.push({ id: c.seminarId, courseIndex: i, name: c.type === COURSE_TYPE.seminar ? c.fullname : `${c.fullname}: classroom day` });
  }

  const { programs, plainPrograms, certifications } = buildPrograms(courseCount, rng);
  return {
    courses,
    mandatory: Array.from({ length: electiveFirst }, (_, i) => i),
    electiveFirst,
    electiveWeights: weights,
    scorms,
    programs,
    plainPrograms,
    certifications,
    seminars,
    sessions: buildSessions(s, seminars.length),
  };
}

const ACTIVE_PERIODS = ['1 year', '2 year', '3 year', '6 month'];
const WINDOW_PERIODS = ['1 month', '30 day', '2 month', '3 month'];

function buildPrograms(courseCount: number, rng: Rng) {
  const plainCount = Math.min(60, Math.max(3, Math.round(courseCount / 8)));
  const certCount = Math.min(40, Math.max(3, Math.round(courseCount / 12)));
  // Certifications are interleaved with programs, so certifid and the program id rarely coincide.
  const kinds: boolean[] = [...Array<boolean>(plainCount).fill(false), ...Array<boolean>(certCount).fill(true)];
  for (let i = kinds.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [kinds[i], kinds[j]] = [kinds[j], kinds[i]];
  }
  const programs: Program[] = [];
  let setId = 1;
  let plain = 0;
  let certs = 0;
  const courseSet = (certifpath: number, size: number): CourseSet => {
    const chosen = new Set<number>();
    while (chosen.size < size) chosen.add(rng.between(0, courseCount));
    return { id: setId++, courses: [...chosen], certifpath };
  };
  for (let i = 0; i < kinds.length; i++) {
    const id = i + 1;
    if (!kinds[i]) {
      const base = PROGRAM_NAMES[plain % PROGRAM_NAMES.length];
      const round = Math.floor(plain / PROGRAM_NAMES.length);
      plain++;
      const sets = Array.from({ length: rng.int(1, 3) }, () => courseSet(0, rng.int(1, 3)));
      programs.push({
        id,
        fullname: round === 0 ? base : `${base} ${round + 1}`,
        shortname: `${initials(base)}-P${id}`,
        idnumber: `PROG-${String(id).padStart(3, '0')}`,
        category: rng.int(1, 3),
        visible: rng.chance(0.95) ? 1 : 0,
        available: rng.chance(0.95) ? 1 : 0,
        certifId: 0,
        minimumActive: '',
        recertifyDateType: 0,
        sets,
      });
    } else {
      const base = CERTIFICATION_NAMES[certs % CERTIFICATION_NAMES.length];
      const round = Math.floor(certs / CERTIFICATION_NAMES.length);
      certs++;
      const activeText = rng.pick(ACTIVE_PERIODS);
      // The first two use both ways of writing a month, whatever the draw.
      const windowText =
        certs === 1 ? '30 day' : certs === 2 ? '1 month' : activeText === '6 month' ? rng.pick(['1 month', '30 day']) : rng.pick(WINDOW_PERIODS);
      const recertifyDateType = certs <= 3 ? certs : 1 + rng.weighted([0.5, 0.35, 0.15]);
      const firstPath = Array.from({ length: rng.int(1, 2) }, () => courseSet(1, rng.int(1, 3)));
      const recertPath = [courseSet(2, rng.int(1, 2))];
      programs.push({
        id,
        fullname: round === 0 ? base : `${base} ${round + 1}`,
        shortname: `${initials(base)}-C${id}`,
        idnumber: `CERT-${String(id).padStart(3, '0')}`,
        category: rng.int(1, 3),
        visible: 1,
        available: rng.chance(0.97) ? 1 : 0,
        certifId: certs,
        active: period(activeText),
        minimumActive: recertifyDateType === 3 ? (activeText === '6 month' ? '3 month' : '6 month') : '',
        window: period(windowText),
        recertifyDateType,
        sets: [...firstPath, ...recertPath],
      });
    }
  }
  return {
    programs,
    plainPrograms: programs.filter((p) => p.certifId === 0),
    certifications: programs.filter((p) => p.certifId !== 0),
  };
}

/**
 * Session start times spread from the start of the history to four months after as_of, sorted so session
 * ids are chronological and a user's sessions can be found by binary search.
 */
function buildSessions(s: Settings, seminarCount: number): Sessions {
  const rng = new Rng(mix(s.seed, SALT.sessions));
  const count = Math.max(12, Math.ceil((s.users * 0.42) / 10));
  const first = startOfDay(s.historyStart);
  const days = Math.floor((s.asOf + 120 * DAY - first) / DAY);
  const start = new Float64Array(count);
  const slots = [9 * HOUR, 9 * HOUR + 30 * MINUTE, 13 * HOUR, 14 * HOUR];
  for (let k = 0; k < count; k++) {
    let day = first + rng.between(0, days) * DAY;
    const weekday = new Date(day * 1000).getUTCDay();
    if (weekday === 0) day += DAY;
    else if (weekday === 6) day += 2 * DAY;
    start[k] = day + rng.pick(slots);
  }
  start.sort();
  const seminar = new Int32Array(count);
  const cancelled = new Uint8Array(count);
  for (let k = 0; k < count; k++) {
    seminar[k] = rng.between(0, seminarCount);
    cancelled[k] = rng.chance(0.05) ? 1 : 0;
  }
  // A cancelled session in the past and one in the future, whatever the rates give.
  cancelled[Math.floor(count / 3)] = 1;
  cancelled[count - 1] = 1;
  return { count, start, end: new Float64Array(count), seminar, cancelled };
}

export interface SessionDate {
  start: number;
  finish: number;
}

/** The dates of one session, from its own seeded stream (used when writing the file and nowhere else). */
export function sessionDates(s: Settings, sessions: Sessions, k: number, rng: Rng): { dates: SessionDate[]; capacity: number } {
  rng.reseed(mix(s.seed, SALT.sessions, k + 1));
  const days = 1 + rng.weighted([0.65, 0.25, 0.07, 0.03]);
  const weekly = rng.chance(0.3);
  const hours = rng.pick([3, 3.5, 4, 6, 7, 7.5]);
  const dates: SessionDate[] = [];
  for (let d = 0; d < days; d++) {
    const start = sessions.start[k] + d * (weekly ? 7 : 1) * DAY;
    dates.push({ start, finish: start + hours * HOUR });
  }
  return { dates, capacity: rng.int(8, 30) };
}
