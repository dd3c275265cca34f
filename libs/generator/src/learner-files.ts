import type { Catalogue, Program } from './catalogue';
import { COURSE_TYPE } from './catalogue';
import { csvField } from '@kineo/contract';
import type { CsvWriter } from './csv-writer';
import type { CertificationUserCase, ProgramUserCase, SentinelDateCase } from './generator.types';
import type { Settings } from './generator.settings';
import { mix, Rng, SALT } from './random.util';
import { addPeriod, DAY, HOUR, MINUTE, startOfDay, YEAR } from './time.util';
import { asciiName, FIRST_NAMES, JOB_ASSIGNMENT_EXTRAS, LAST_NAMES, LOCATIONS } from './word-lists';
import { FLAG, primaryJa, userId, type Workforce } from './workforce';

export const CASE_SAMPLE_LIMIT = 20;

export interface LearnerWriters {
  users: CsvWriter;
  jobAssignments: CsvWriter;
  courseCompletions: CsvWriter;
  progCompletions: CsvWriter;
  certCompletions: CsvWriter;
  scormTracks: CsvWriter;
  seminarSignups: CsvWriter;
}

export const LEARNER_COLUMNS = {
  users: ['id', 'username', 'idnumber', 'firstname', 'lastname', 'email', 'department', 'city', 'country', 'timezone', 'suspended', 'deleted', 'timecreated', 'lastaccess'],
  job_assignments: ['id', 'userid', 'idnumber', 'fullname', 'sortorder', 'managerjaid', 'tempmanagerjaid', 'tempmanagerexpirydate', 'organisationid', 'positionid', 'startdate', 'enddate'],
  course_completions: ['id', 'userid', 'course', 'timeenrolled', 'timestarted', 'timecompleted', 'status', 'rplgrade', 'organisationid', 'positionid'],
  prog_completions: ['id', 'programid', 'userid', 'coursesetid', 'status', 'timecreated', 'timestarted', 'timedue', 'timecompleted', 'organisationid', 'positionid'],
  cert_completions: ['id', 'certifid', 'userid', 'certifpath', 'status', 'renewalstatus', 'timewindowopens', 'timeexpires', 'baselinetimeexpires', 'timecompleted', 'timemodified'],
  scorm_tracks: ['userid', 'scormid', 'scoid', 'attempt', 'element', 'value', 'timemodified'],
  seminar_signups: ['signupid', 'sessionid', 'userid', 'statuscode', 'superceded', 'grade', 'timecreated'],
} as const;

const STATUS = { unknown: 0, notStarted: 10, inProgress: 25, complete: 50, rpl: 75 } as const;
const CERT = { assigned: 0, inProgress: 1, certified: 2, windowOpen: 3, expired: 4 } as const;
const PLAN_CAPACITY = 160;

/** Seminar signup histories: each list is one signup's statuses in order; the last is current. */
const SIGNUPS_PAST: readonly (readonly number[])[] = [
  [70, 100], [40, 50, 70, 100], [40, 45, 50, 70, 100], [60, 70, 100], [70, 90], [70, 80], [60, 70, 80], [70, 10], [40, 30], [60],
  [0, 70, 100], [40, 50, 70, 10], [70],
];
const SIGNUPS_PAST_WEIGHTS = [35, 12, 4, 6, 7, 9, 2, 8, 4, 3, 1, 2, 3];
const SIGNUPS_FUTURE: readonly (readonly number[])[] = [[70], [60], [40], [40, 45], [40, 50], [40, 50, 70], [70, 10], [40, 30], [60, 70]];
const SIGNUPS_FUTURE_WEIGHTS = [40, 12, 10, 4, 6, 10, 8, 5, 5];
const SIGNUPS_CANCELLED: readonly (readonly number[])[] = [[70, 20], [60, 20], [40, 50, 70, 20], [70, 10]];
const SIGNUPS_CANCELLED_WEIGHTS = [60, 15, 10, 15];
const SIGNUPS_UNDER_WAY: readonly (readonly number[])[] = [[70], [60, 70]];

const SIGNUP_COUNT_WEIGHTS = [0.7, 0.2, 0.08, 0.02];
const CERT_COUNT_WEIGHTS = [0.35, 0.4, 0.18, 0.07];
/** Indexed like CERT. */
const CERT_STATE_WEIGHTS = [0.12, 0.13, 0.4, 0.15, 0.2];
const PROGRAM_COUNT_WEIGHTS = [0.35, 0.35, 0.2, 0.1];
/** Complete, in progress, not started. */
const PROGRAM_OUTCOME_WEIGHTS = [0.45, 0.35, 0.2];
const SCORM_ATTEMPT_WEIGHTS = [0.7, 0.22, 0.08];
const LESSON_UNFINISHED = ['incomplete', 'failed', 'browsed', 'not attempted'];
const LESSON_UNFINISHED_WEIGHTS = [0.5, 0.25, 0.1, 0.15];
const COMPLETION_UNFINISHED = ['incomplete', 'not attempted', 'completed'];
const COMPLETION_UNFINISHED_WEIGHTS = [0.6, 0.1, 0.3];

const FIRST = FIRST_NAMES.map(csvField);
const LAST = LAST_NAMES.map(csvField);
const FIRST_ASCII = FIRST_NAMES.map(asciiName);
const LAST_ASCII = LAST_NAMES.map(asciiName);
const CITIES = LOCATIONS.map((l) => csvField(l.city));
const EMAIL_DOMAIN = 'northwind.example';

class Samples<T> {
  readonly items: T[] = [];
  constructor(private readonly limit = CASE_SAMPLE_LIMIT) {}
  add(item: T): void {
    if (this.items.length < this.limit) this.items.push(item);
  }
}

/** Sentinel dates, a few of each value so every value shows up in the sample. */
class SentinelSamples {
  private readonly byValue = new Map<string, Samples<SentinelDateCase>>();
  add(item: SentinelDateCase): void {
    let samples = this.byValue.get(item.value);
    if (!samples) this.byValue.set(item.value, (samples = new Samples(Math.floor(CASE_SAMPLE_LIMIT / 3))));
    samples.add(item);
  }
  get items(): SentinelDateCase[] {
    return [...this.byValue.values()].flatMap((s) => s.items);
  }
}

const pad2 = (n: number) => (n < 10 ? `0${n}` : String(n));

/**
 * Writes everything about one user at a time: their user and job assignment rows, then their learning.
 * A user's rows depend only on the seed, their index and the decisions made before the pass (workforce,
 * catalogue), so memory does not grow with the number of users or rows.
 */
export class LearnerFiles {
  readonly samples = {
    sentinelDates: new SentinelSamples(),
    programsOverdue: new Samples<ProgramUserCase>(),
    programsNoDueDate: new Samples<ProgramUserCase>(),
    programsDueDateError: new Samples<ProgramUserCase>(),
    certificationsAssigned: new Samples<CertificationUserCase>(),
    certificationsInProgress: new Samples<CertificationUserCase>(),
    certificationsCertified: new Samples<CertificationUserCase>(),
    certificationsWindowOpen: new Samples<CertificationUserCase>(),
    certificationsExpired: new Samples<CertificationUserCase>(),
    certificationsOverdue: new Samples<CertificationUserCase>(),
  };

  /** Indexed by CERT state. */
  private readonly certSamples = [
    this.samples.certificationsAssigned,
    this.samples.certificationsInProgress,
    this.samples.certificationsCertified,
    this.samples.certificationsWindowOpen,
    this.samples.certificationsExpired,
  ];
  private readonly rng = new Rng(0);
  private readonly orgNames: string[];
  private readonly positionNames: string[];
  private readonly courseIds: Int32Array;
  private readonly electiveTotal: number;
  /** Per course: the user index that last planned it, so each (user, course) is written once. */
  private readonly plannedBy: Int32Array;
  private readonly planCourse = new Int32Array(PLAN_CAPACITY);
  private readonly planStatus = new Uint8Array(PLAN_CAPACITY);
  private readonly planEnrolled = new Float64Array(PLAN_CAPACITY);
  private readonly planStarted = new Float64Array(PLAN_CAPACITY);
  private readonly planCompleted = new Float64Array(PLAN_CAPACITY);
  private planCount = 0;
  private readonly chosen: number[] = [];

  private courseCompletionId = 0;
  private progCompletionId = 0;
  private certCompletionId = 0;
  private signupId = 0;
  private sentinelLastAccess = 0;
  private sentinelEndDate = 0;

  // The user being written.
  private u = 0;
  private uid = 0;
  private created = 0;
  /** Learning happens in [from, to]: from the later of joining and the history start, to deletion or as_of. */
  private from = 0;
  private to = 0;
  private active = true;
  private orgId = '';
  private positionId = '';

  constructor(
    private readonly s: Settings,
    private readonly w: Workforce,
    private readonly c: Catalogue,
    private readonly out: LearnerWriters,
  ) {
    this.orgNames = w.orgs.fullname.map(csvField);
    this.positionNames = w.positions.fullname.map(csvField);
    this.courseIds = Int32Array.from(c.courses, (course) => course.id);
    this.electiveTotal = c.electiveWeights.length > 0 ? c.electiveWeights[c.electiveWeights.length - 1] : 0;
    this.plannedBy = new Int32Array(c.courses.length);
  }

  user(u: number): void {
    const { s, w, rng } = this;
    rng.reseed(mix(s.seed, SALT.user, u));
    this.u = u;
    this.uid = userId(u);
    const flags = w.flags[u];
    const deleted = (flags & FLAG.deleted) !== 0;
    const suspended = (flags & FLAG.suspended) !== 0;
    this.active = !deleted && !suspended;

    let created: number;
    if (u === 1) created = s.historyStart - 6 * YEAR - rng.between(0, YEAR);
    else if (rng.chance(0.55)) created = s.historyStart - rng.between(0, 6 * YEAR);
    else created = rng.between(s.historyStart, s.asOf - 30 * DAY);
    this.created = created;
    let deletedAt = 0;
    if (deleted) deletedAt = created + 30 * DAY < s.asOf - DAY ? rng.between(created + 30 * DAY, s.asOf - DAY) : s.asOf - DAY;
    this.to = deleted ? deletedAt : s.asOf;
    this.from = Math.max(created, s.historyStart);
    this.orgId = w.jaCount[u] > 0 ? String(w.org[u]) : '';
    this.positionId = w.jaCount[u] > 0 ? String(w.position[u]) : '';

    this.writeUser(flags, deletedAt);
    this.writeJobAssignments(flags, deletedAt);
    if (this.to - this.from < 2 * DAY) return;
    this.planCount = 0;
    this.signups();
    this.certifications();
    this.programs();
    this.electives();
    this.writeCourses();
  }

  private writeUser(flags: number, deletedAt: number): void {
    const { rng, w, s } = this;
    const out = this.out.users;
    const f = rng.between(0, FIRST.length);
    const l = rng.between(0, LAST.length);
    const handle = `${FIRST_ASCII[f]}.${LAST_ASCII[l]}${this.uid}`;
    const location = w.location[this.u];
    const timezone = rng.chance(0.55) ? '99' : LOCATIONS[location].timezone;
    let username = handle;
    let email = `${handle}@${EMAIL_DOMAIN}`;
    let idnumber = rng.chance(0.97) ? `E${100000 + this.uid}` : '';
    let lastaccess: number;
    if (deletedAt > 0) {
      // What Totara leaves behind when it deletes a user.
      username = `${email}.${deletedAt}`;
      email = hex32(rng);
      idnumber = '';
      lastaccess = rng.between(Math.max(this.created, deletedAt - 60 * DAY), deletedAt);
    } else if ((flags & FLAG.suspended) !== 0) lastaccess = rng.between(Math.max(this.created, s.asOf - 400 * DAY), s.asOf - 30 * DAY);
    else lastaccess = rng.between(Math.max(this.created, s.asOf - 45 * DAY), s.asOf);
    out.begin();
    let lastaccessText: string;
    if ((flags & FLAG.neverLoggedIn) !== 0 && deletedAt === 0) {
      if (this.sentinelLastAccess++ % 2 === 0) lastaccessText = out.t(0);
      else {
        lastaccessText = '1970-01-01';
        this.samples.sentinelDates.add({ file: 'users', column: 'lastaccess', id: this.uid, value: lastaccessText });
      }
    } else lastaccessText = out.t(lastaccess);
    out.line(
      `${this.uid},${username},${idnumber},${FIRST[f]},${LAST[l]},${email},${this.orgNames[w.org[this.u]]},${CITIES[location]},` +
        `${LOCATIONS[location].country},${timezone},${(flags & FLAG.suspended) !== 0 ? 1 : 0},${deletedAt > 0 ? 1 : 0},` +
        `${out.t(this.created)},${lastaccessText}`,
    );
  }

  private writeJobAssignments(flags: number, deletedAt: number): void {
    const { rng, w, s, u } = this;
    const out = this.out.jobAssignments;
    const count = w.jaCount[u];
    if (count === 0) return;
    const primary = primaryJa(w, u);
    let others = 0;
    for (let j = 0; j < count; j++) {
      const id = w.jaFirst[u] + j;
      out.begin();
      if (id === primary) {
        const managerJa = w.managerJa[u];
        const temp = w.temp.get(u);
        const start = rng.chance(0.9) ? startOfDay(this.created) : 0;
        let end = '';
        if (deletedAt > 0) end = out.tn(startOfDay(deletedAt));
        else if ((flags & FLAG.sentinelEnd) !== 0) {
          end = out.isoRow || this.sentinelEndDate++ % 2 === 1 ? '9999-12-31' : '2147483647';
          this.samples.sentinelDates.add({ file: 'job_assignments', column: 'enddate', id, value: end });
        }
        const fullname = rng.chance(0.7) ? this.positionNames[w.position[u]] : '';
        out.line(
          `${id},${this.uid},JA${this.uid}-1,${fullname},1,${managerJa === 0 ? '' : managerJa},` +
            `${temp ? temp.ja : ''},${temp ? out.tn(temp.expiry) : ''},${w.org[u]},${w.position[u]},${out.tn(start)},${end}`,
        );
      } else {
        others++;
        const sortorder = others + 1;
        const managerJa = w.otherManagerJa.get(id) ?? 0;
        const position = w.individualPositions[rng.between(0, w.individualPositions.length)];
        const org = rng.int(1, w.orgs.count);
        const start = startOfDay(rng.between(this.created, s.asOf - DAY));
        const end = rng.chance(0.35) && start + 31 * DAY < s.asOf ? startOfDay(rng.between(start + 30 * DAY, s.asOf)) : 0;
        const fullname = csvField(`${rng.pick(JOB_ASSIGNMENT_EXTRAS)}: ${w.positions.fullname[position]}`);
        out.line(
          `${id},${this.uid},JA${this.uid}-${sortorder},${fullname},${sortorder},${managerJa === 0 ? '' : managerJa},,,` +
            `${org},${position},${out.tn(start)},${out.tn(end)}`,
        );
      }
    }
  }

  /** Adds a course to the user's plan unless something else already put it there. */
  private plan(course: number, status: number, enrolled: number, started: number, completed: number): void {
    if (this.plannedBy[course] === this.u || this.planCount >= PLAN_CAPACITY) return;
    this.plannedBy[course] = this.u;
    const i = this.planCount++;
    this.planCourse[i] = course;
    this.planStatus[i] = status;
    this.planEnrolled[i] = enrolled;
    this.planStarted[i] = started;
    this.planCompleted[i] = completed;
  }

  private signups(): void {
    const { rng, s, c } = this;
    const wanted = rng.weighted(SIGNUP_COUNT_WEIGHTS);
    if (wanted === 0) return;
    const sessions = c.sessions;
    const lo = lowerBound(sessions.start, this.from + DAY);
    const hi = lowerBound(sessions.start, this.to === s.asOf ? s.asOf + 120 * DAY : this.to - 3 * DAY);
    if (hi <= lo) return;
    const out = this.out.seminarSignups;
    this.chosen.length = 0;
    for (let n = 0; n < wanted; n++) {
      const k = rng.between(lo, hi);
      if (this.chosen.includes(k)) continue;
      this.chosen.push(k);
      const start = sessions.start[k];
      const end = sessions.end[k];
      let history: readonly number[];
      if (sessions.cancelled[k] === 1) history = SIGNUPS_CANCELLED[rng.weighted(SIGNUPS_CANCELLED_WEIGHTS)];
      else if (end + 2 * DAY <= s.asOf) history = SIGNUPS_PAST[rng.weighted(SIGNUPS_PAST_WEIGHTS)];
      else if (start <= s.asOf) history = rng.pick(SIGNUPS_UNDER_WAY);
      else history = SIGNUPS_FUTURE[rng.weighted(SIGNUPS_FUTURE_WEIGHTS)];
      const final = history[history.length - 1];
      const attended = final >= 80;
      const before = attended ? history.length - 1 : history.length;
      // Statuses before the session fall between booking and the start (or as_of, if that comes first).
      const limit = Math.min(s.asOf, start) - MINUTE;
      let t0 = Math.max(this.created + HOUR, start - rng.int(3, 60) * DAY + rng.between(0, DAY));
      // A session far enough ahead that this learner would book it after as_of is not booked yet
      // (moving the booking to as_of put every such signup on the export's last day).
      if (t0 > s.asOf) continue;
      if (t0 > limit - before * 600) t0 = limit - before * 600;
      const gap = (limit - t0) / before;
      const signup = ++this.signupId;
      let time = 0;
      for (let i = 0; i < history.length; i++) {
        const code = history[i];
        if (i < before) time = t0 + Math.floor(i * gap) + rng.between(0, Math.floor(gap / 2));
        else time = end + rng.between(HOUR, 36 * HOUR);
        const grade = code === 100 ? (rng.chance(0.6) ? '100' : '') : code === 90 ? '50' : '';
        out.begin();
        out.line(`${signup},${k + 1},${this.uid},${code},${i < history.length - 1 ? 1 : 0},${grade},${out.t(time)}`);
      }
      const course = c.seminars[sessions.seminar[k]].courseIndex;
      if (final === 100) this.plan(course, STATUS.complete, t0, start, time);
      else if (final === 90) this.plan(course, STATUS.inProgress, t0, start, 0);
      else if (final >= 40) this.plan(course, STATUS.notStarted, t0, 0, 0);
    }
  }

  /** timedue for an assignment made at `assigned`: a quarter without one (-1), a few broken (0). */
  private dueDate(assigned: number): number {
    const r = this.rng.next();
    if (r < 0.25) return -1;
    if (r < 0.255) return 0;
    return assigned + this.rng.int(14, 180) * DAY;
  }

  private certifications(): void {
    const { rng, c } = this;
    const certs = c.certifications;
    const wanted = Math.min(certs.length, rng.weighted(CERT_COUNT_WEIGHTS));
    this.chosen.length = 0;
    for (let n = 0; n < wanted; n++) {
      const index = rng.between(0, certs.length);
      if (this.chosen.includes(index)) continue;
      this.chosen.push(index);
      this.certification(certs[index]);
    }
  }

  private certification(p: Program): void {
    const { rng, s } = this;
    const active = p.active!;
    const window = p.window!;
    const target = rng.weighted(CERT_STATE_WEIGHTS);
    let completed = 0;
    if (target === CERT.certified) {
      // Certified up to as_of itself, within the active period less its window. Deriving the date
      // back from a window opening after as_of (calendar months against approximate ones) left
      // the last days before as_of without certifications.
      completed = s.asOf - rng.between(0, Math.max(DAY, active.approxSeconds - window.approxSeconds - DAY));
    } else if (target > CERT.certified) {
      const expires =
        target === CERT.windowOpen ? addPeriod(s.asOf - rng.between(0, window.approxSeconds - 3 * DAY), window) : s.asOf - rng.between(DAY, 2 * YEAR);
      completed = addPeriod(expires, active, -1);
    }
    if (completed !== 0 && (completed < this.created + DAY || completed > this.to)) completed = 0;
    let state: number;
    let expires = 0;
    let opens = 0;
    if (completed > 0) {
      expires = addPeriod(completed, active);
      opens = addPeriod(expires, window, -1);
      state = expires <= s.asOf ? CERT.expired : opens <= s.asOf ? CERT.windowOpen : CERT.certified;
    } else state = target < CERT.certified ? target : rng.chance(0.5) ? CERT.assigned : CERT.inProgress;

    let assigned: number;
    let started = 0;
    if (completed > 0) {
      assigned = rng.between(Math.max(this.created, completed - 120 * DAY), completed - HOUR);
      started = rng.between(assigned, completed);
    } else {
      assigned = rng.between(this.from, this.to);
      if (state === CERT.inProgress) {
        started = this.startAfter(assigned + MINUTE, 120 * DAY);
        if (started === 0) state = CERT.assigned;
      }
    }

    const certOut = this.out.certCompletions;
    certOut.begin();
    let row: string;
    switch (state) {
      case CERT.assigned:
        row = `1,1,0,${certOut.t(0)},${certOut.t(0)},${certOut.t(0)},${certOut.t(0)},${certOut.t(assigned)}`;
        break;
      case CERT.inProgress:
        row = `1,2,0,${certOut.t(0)},${certOut.t(0)},${certOut.t(0)},${certOut.t(0)},${certOut.t(started)}`;
        break;
      case CERT.certified:
        row = `2,3,0,${certOut.t(opens)},${certOut.t(expires)},${certOut.t(expires)},${certOut.t(completed)},${certOut.t(completed)}`;
        break;
      case CERT.windowOpen:
        row = `2,3,1,${certOut.t(opens)},${certOut.t(expires)},${certOut.t(expires)},${certOut.t(completed)},${certOut.t(Math.min(s.asOf, opens + rng.between(0, 2 * HOUR)))}`;
        break;
      default:
        row = `1,4,2,${certOut.t(opens)},${certOut.t(expires)},${certOut.t(expires)},${certOut.t(completed)},${certOut.t(Math.min(s.asOf, expires + rng.between(0, 2 * HOUR)))}`;
    }
    certOut.line(`${++this.certCompletionId},${p.certifId},${this.uid},${row}`);

    const due = completed > 0 ? expires : this.dueDate(assigned);
    const caseRef = { certifId: p.certifId, programId: p.id, userId: this.uid };
    this.certSamples[state].add(caseRef);
    if (completed === 0 && due > 0 && due < s.asOf && this.active) this.samples.certificationsOverdue.add(caseRef);

    // The certification's program: its program-level row carries the due date the RAG status needs.
    const certified = state === CERT.certified;
    this.progRow(p.id, 0, certified ? 1 : 0, assigned, started, due, certified ? completed : 0);
    const firstPath = p.sets.filter((set) => set.certifpath === 1);
    if (state === CERT.inProgress) {
      firstPath.forEach((set, i) => this.progRow(p.id, set.id, 2, assigned, i === 0 ? started : 0, due, 0));
      for (const set of firstPath) {
        set.courses.forEach((course, i) => {
          if (i === 0 && set.courses.length > 1) this.firstCourseOfSet(course, assigned, started);
          else this.startCourse(course, assigned, started);
        });
      }
    } else if (certified) {
      const step = (completed - started) / firstPath.length;
      firstPath.forEach((set, i) => {
        const setStart = started + Math.floor(i * step);
        const setDone = i === firstPath.length - 1 ? completed : started + Math.floor((i + 1) * step);
        this.progRow(p.id, set.id, 3, assigned, setStart, due, setDone);
        for (const course of set.courses) this.completeCourse(course, assigned, setStart, setDone);
      });
    } else if (state === CERT.assigned) {
      for (const set of firstPath) for (const course of set.courses) this.plan(course, STATUS.notStarted, assigned, 0, 0);
    } else {
      // Window open: the recertification courses are reopened; expired: the certification path starts again.
      const reopened = state === CERT.windowOpen ? opens : expires;
      if (reopened + HOUR < this.to) {
        const path = state === CERT.windowOpen ? 2 : 1;
        for (const set of p.sets) {
          if (set.certifpath !== path) continue;
          for (const course of set.courses) {
            const enrolled = this.startAfter(reopened, 30 * DAY);
            if (enrolled === 0) continue;
            if (rng.chance(0.4)) this.startCourse(course, enrolled, enrolled);
            else this.plan(course, STATUS.notStarted, enrolled, 0, 0);
          }
        }
      }
    }
  }

  /**
   * `since` plus a delay of up to `within`, or 0 when that falls after the export's end: the event has
   * not happened yet. Drawing it anywhere up to the end instead piles recent starts on the last days.
   */
  private startAfter(since: number, within: number): number {
    const at = since + this.rng.between(0, within);
    return at <= this.to ? at : 0;
  }

  /** A course in progress since some weeks after `since`, or not started yet. */
  private startCourse(course: number, enrolled: number, since: number): void {
    const started = this.startAfter(since, 60 * DAY);
    if (started > 0) this.plan(course, STATUS.inProgress, enrolled, started, 0);
    else this.plan(course, STATUS.notStarted, enrolled, 0, 0);
  }

  /**
   * The first course of a set under way since `since`: done within weeks of it, or still in progress
   * when that falls after the export's end (completing it anywhere up to the end piled recently
   * started sets' completions on the days before as_of).
   */
  private firstCourseOfSet(course: number, enrolled: number, since: number): void {
    const done = since + this.rng.between(HOUR, 60 * DAY);
    if (done <= this.to) this.completeCourse(course, enrolled, since, done);
    else this.plan(course, STATUS.inProgress, enrolled, since, 0);
  }

  /** A completed course between `earliest` and `latest`, occasionally by recognition of prior learning. */
  private completeCourse(course: number, enrolled: number, earliest: number, latest: number): void {
    const { rng } = this;
    // Course history from before the export's years is not in it (certifications can be older).
    if (latest < this.from) return;
    const lo = Math.max(earliest, this.from);
    const completed = latest <= lo ? latest : rng.between(lo + 1, latest + 1);
    if (rng.chance(0.05)) this.plan(course, STATUS.rpl, enrolled, 0, completed);
    else this.plan(course, STATUS.complete, enrolled, rng.between(Math.min(earliest, completed), completed), completed);
  }

  private progRow(programId: number, setId: number, status: number, created: number, started: number, due: number, completed: number): void {
    const out = this.out.progCompletions;
    out.begin();
    const snapshot = completed > 0 ? `${this.orgId},${this.positionId}` : ',';
    out.line(`${++this.progCompletionId},${programId},${this.uid},${setId},${status},${out.t(created)},${out.t(started)},${due},${out.t(completed)},${snapshot}`);
  }

  private programs(): void {
    const { rng, s, c } = this;
    const programs = c.plainPrograms;
    const wanted = Math.min(programs.length, rng.weighted(PROGRAM_COUNT_WEIGHTS));
    this.chosen.length = 0;
    for (let n = 0; n < wanted; n++) {
      const index = rng.between(0, programs.length);
      if (this.chosen.includes(index)) continue;
      this.chosen.push(index);
      const p = programs[index];
      const assigned = rng.between(this.from, this.to);
      let outcome = rng.weighted(PROGRAM_OUTCOME_WEIGHTS);
      const due = this.dueDate(assigned);
      // Some LMS versions write course-set rows as 0/1 like the program row, most as 2/3.
      const [setIncomplete, setComplete] = rng.chance(0.1) ? [0, 1] : [2, 3];
      const sets = p.sets;
      let started = 0;
      let completed = 0;
      // Starting and finishing take what they take: a program that would start or finish after the
      // export's end has not yet (fitting them into the time left piled them on the last days).
      if (outcome === 0) {
        started = this.startAfter(assigned, Math.min(Math.floor((this.to - assigned) / 4), 365 * DAY));
        completed = started + rng.between(1, 200 * DAY);
        if (completed > this.to) completed = 0;
        if (completed === 0) outcome = started > 0 ? 1 : 2;
      } else if (outcome === 1) started = this.startAfter(assigned + MINUTE, 120 * DAY);
      if (outcome === 1 && started === 0) outcome = 2;

      const ref = { programId: p.id, userId: this.uid };
      if (due === -1) this.samples.programsNoDueDate.add(ref);
      else if (due === 0) this.samples.programsDueDateError.add(ref);
      else if (completed === 0 && due < s.asOf && this.active) this.samples.programsOverdue.add(ref);

      this.progRow(p.id, 0, completed > 0 ? 1 : 0, assigned, started, due, completed);
      const done = outcome === 0 ? sets.length : outcome === 1 ? rng.between(0, sets.length) : 0;
      const end = completed > 0 ? completed : this.to;
      const step = started > 0 ? (end - started) / (outcome === 0 ? sets.length : sets.length + 1) : 0;
      for (let i = 0; i < sets.length; i++) {
        const set = sets[i];
        const setStart = started > 0 ? started + Math.floor(i * step) : 0;
        if (i < done) {
          const setDone = outcome === 0 && i === sets.length - 1 ? completed : started + Math.floor((i + 1) * step);
          this.progRow(p.id, set.id, setComplete, assigned, setStart, due, setDone);
          for (const course of set.courses) this.completeCourse(course, assigned, setStart, setDone);
        } else if (i === done && started > 0) {
          this.progRow(p.id, set.id, setIncomplete, assigned, setStart, due, 0);
          set.courses.forEach((course, k) => {
            if (k === 0 && set.courses.length > 1) this.firstCourseOfSet(course, assigned, setStart);
            else if (rng.chance(0.6)) this.startCourse(course, assigned, setStart);
            else this.plan(course, STATUS.notStarted, assigned, 0, 0);
          });
        } else {
          this.progRow(p.id, set.id, setIncomplete, assigned, 0, due, 0);
          for (const course of set.courses) this.plan(course, STATUS.notStarted, assigned, 0, 0);
        }
      }
    }
  }

  private electives(): void {
    const { rng, c } = this;
    for (const course of c.mandatory) if (rng.chance(0.85)) this.enrol(course);
    let wanted = rng.int(2, 10);
    if (rng.chance(0.1)) wanted += rng.int(0, 12);
    for (let n = 0; n < wanted; n++) {
      const course = c.electiveFirst + lowerBound(c.electiveWeights, rng.next() * this.electiveTotal);
      if (c.courses[course].type === COURSE_TYPE.seminar) {
        // Enrolled on a seminar course without a booking yet.
        this.plan(course, STATUS.notStarted, rng.between(this.from, this.to), 0, 0);
      } else this.enrol(course);
    }
  }

  /** A self-directed enrolment and where the learner has got to. */
  private enrol(course: number): void {
    const { rng } = this;
    const to = this.to;
    const enrolled = rng.between(this.from, to);
    const r = rng.next();
    if (r < 0.04) this.plan(course, STATUS.unknown, enrolled, 0, 0);
    else if (r < 0.22) this.plan(course, STATUS.notStarted, enrolled, 0, 0);
    else if (r < 0.4) this.startCourse(course, enrolled, enrolled + 1);
    else if (r < 0.97) {
      // How long a learner takes does not depend on how much of the export is left: one who would
      // finish after the export's end has not finished yet (squeezing the time into what was left
      // put recent enrolments' completions on the last days before as_of).
      const started = enrolled + rng.between(0, 14 * DAY);
      const completed = started + rng.between(5 * MINUTE, 45 * DAY);
      if (completed <= to) this.plan(course, STATUS.complete, enrolled, started, completed);
      else if (started <= to) this.plan(course, STATUS.inProgress, enrolled, started, 0);
      else this.plan(course, STATUS.notStarted, enrolled, 0, 0);
    } else {
      // Prior learning is recognised within weeks of enrolling, or not yet.
      const recognised = enrolled + rng.between(0, 30 * DAY);
      if (recognised <= to) this.plan(course, STATUS.rpl, enrolled, rng.chance(0.7) ? 0 : enrolled, recognised);
      else this.plan(course, STATUS.notStarted, enrolled, 0, 0);
    }
  }

  private writeCourses(): void {
    const { rng, w, c } = this;
    const out = this.out.courseCompletions;
    for (let i = 0; i < this.planCount; i++) {
      const course = this.planCourse[i];
      const status = this.planStatus[i];
      const completed = this.planCompleted[i];
      const started = this.planStarted[i];
      const done = status === STATUS.complete || status === STATUS.rpl;
      let snapshot = ',';
      if (done && this.orgId !== '') {
        snapshot = rng.chance(0.95) ? `${this.orgId},${this.positionId}` : `${rng.int(1, w.orgs.count)},${this.positionId}`;
      }
      const rpl = status === STATUS.rpl && rng.chance(0.8) ? String(rng.int(60, 100)) : '';
      out.begin();
      out.line(
        `${++this.courseCompletionId},${this.uid},${this.courseIds[course]},${out.t(this.planEnrolled[i])},${out.t(started)},` +
          `${out.tn(done ? completed : 0)},${status},${rpl},${snapshot}`,
      );
      const info = c.courses[course];
      if (info.scormCount > 0 && (status === STATUS.inProgress || status === STATUS.complete)) {
        const from = started > 0 ? started : this.planEnrolled[i];
        const until = done ? completed : this.to;
        for (let k = 0; k < info.scormCount; k++) this.scormAttempts(info.scormFirst + k, status === STATUS.complete, from, Math.max(from, until));
      }
    }
  }

  private scormAttempts(scormIndex: number, complete: boolean, from: number, until: number): void {
    const { rng } = this;
    const scorm = this.c.scorms[scormIndex];
    let attempts = complete ? 1 + rng.weighted(SCORM_ATTEMPT_WEIGHTS) : rng.chance(0.8) ? 1 : 2;
    if (scorm.maxattempt > 0) attempts = Math.min(attempts, scorm.maxattempt);
    const out = this.out.scormTracks;
    const v12 = scorm.version === 'SCORM_12';
    // A finished package's attempts lead up to its completion. An unfinished one's are spread over a
    // span of their own, and those after `until` have not happened yet: fitting them into the time so
    // far put recently started packages' attempts, and their hours, on the export's last days.
    const span = complete ? until - from : rng.between(DAY, 60 * DAY);
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const last = attempt === attempts;
      const time = from + Math.floor((span * attempt) / attempts);
      if (time > until) break;
      for (let sco = 0; sco < scorm.scoCount; sco++) {
        const prefix = `${this.uid},${scorm.id},${scorm.scoFirst + sco},${attempt},`;
        const seconds = rng.int(90, 5400);
        let score = -1;
        if (v12) {
          let lesson: string;
          if (complete && last) lesson = rng.chance(0.6) ? 'passed' : 'completed';
          else if (complete) lesson = rng.chance(0.5) ? 'failed' : 'incomplete';
          else lesson = LESSON_UNFINISHED[rng.weighted(LESSON_UNFINISHED_WEIGHTS)];
          if (lesson === 'passed') score = rng.int(70, 100);
          else if (lesson === 'failed') score = rng.int(20, 69);
          else if (lesson === 'completed') score = rng.int(50, 100);
          const h = Math.floor(seconds / 3600);
          const m = Math.floor((seconds % 3600) / 60);
          const total = `${String(h).padStart(4, '0')}:${pad2(m)}:${pad2(seconds % 60)}.${pad2(rng.int(0, 99))}`;
          out.begin();
          out.line(`${prefix}cmi.core.lesson_status,${lesson},${out.t(time)}`);
          out.begin();
          out.line(`${prefix}cmi.core.total_time,${total},${out.t(time)}`);
          if (score >= 0) {
            out.begin();
            out.line(`${prefix}cmi.core.score.raw,${score},${out.t(time)}`);
          }
        } else {
          let completion: string;
          let success: string;
          if (complete && last) {
            completion = 'completed';
            success = rng.chance(0.75) ? 'passed' : 'unknown';
          } else {
            completion = COMPLETION_UNFINISHED[rng.weighted(COMPLETION_UNFINISHED_WEIGHTS)];
            success = completion === 'completed' ? 'failed' : completion === 'incomplete' && rng.chance(0.4) ? 'failed' : 'unknown';
          }
          if (success === 'passed') score = rng.int(70, 100);
          else if (success === 'failed') score = rng.int(20, 69);
          const h = Math.floor(seconds / 3600);
          const m = Math.floor((seconds % 3600) / 60);
          const sec = seconds % 60;
          const fraction = rng.chance(0.1) ? `.${pad2(rng.int(1, 99))}` : '';
          const total = h > 0 ? `PT${h}H${m}M${sec}${fraction}S` : `PT${m}M${sec}${fraction}S`;
          out.begin();
          out.line(`${prefix}cmi.completion_status,${completion},${out.t(time)}`);
          out.begin();
          out.line(`${prefix}cmi.success_status,${success},${out.t(time)}`);
          out.begin();
          out.line(`${prefix}cmi.total_time,${total},${out.t(time)}`);
          if (score >= 0) {
            out.begin();
            out.line(`${prefix}cmi.score.raw,${score},${out.t(time)}`);
          }
        }
      }
    }
  }
}

/** First index whose value is >= x in an ascending array. */
function lowerBound(values: Float64Array, x: number): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (values[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function hex32(rng: Rng): string {
  let out = '';
  for (let i = 0; i < 4; i++) out += rng.uint32().toString(16).padStart(8, '0');
  return out;
}
