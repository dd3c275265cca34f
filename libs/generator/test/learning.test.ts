import { AS_OF, AS_OF_UNIX, generate, groupBy, removeTempDirs, seconds, type Generated } from './support/fixture';

const YEAR = 365 * 86400;

/**
 * Counts of the given times by day before as_of: [0] is the day up to as_of (the last day a chart
 * shows), [1] the day before it, and so on.
 */
function perDayBeforeAsOf(times: readonly string[], days = 60): number[] {
  const counts = new Array<number>(days).fill(0);
  for (const text of times) {
    const t = seconds(text);
    if (t <= 0) continue;
    const back = Math.floor((AS_OF_UNIX - t) / 86400);
    if (back < days) counts[back]++;
  }
  return counts;
}

const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);

/** The last day against the mean of the 30 days before it, and the last 30 days against the 30 before those. */
function endOfExport(times: readonly string[]): { lastDay: number; meanDay: number; last30: number; previous30: number } {
  const counts = perDayBeforeAsOf(times);
  return { lastDay: counts[0], meanDay: sum(counts.slice(1, 31)) / 30, last30: sum(counts.slice(0, 30)), previous30: sum(counts.slice(30, 60)) };
}

describe('the learning records of a generated export', () => {
  let g: Generated;
  beforeAll(async () => {
    g = await generate('learning', { users: 3000, seed: 3, years: 3, asOf: AS_OF });
  });
  afterAll(removeTempDirs);

  describe('course completions', () => {
    it('have times consistent with their status, all before as_of', () => {
      const bad: string[] = [];
      for (const c of g.table('course_completions').objects()) {
        const enrolled = seconds(c.timeenrolled);
        const started = seconds(c.timestarted);
        const completed = seconds(c.timecompleted);
        let ok = enrolled > 0 && Math.max(enrolled, started, completed) <= AS_OF_UNIX;
        if (c.status === '50' || c.status === '75') ok &&= completed > 0 && completed >= started;
        else if (c.status === '25') ok &&= started > 0 && completed === 0;
        else ok &&= started === 0 && completed === 0;
        if (c.status !== '75') ok &&= c.rplgrade === '';
        if (!ok) bad.push(`${c.id}: status ${c.status} ${c.timeenrolled}/${c.timestarted}/${c.timecompleted}`);
      }
      expect(bad).toEqual([]);
    });

    it('give a grade for most recognition of prior learning, and the organisation at completion', () => {
      const rows = g.table('course_completions').objects();
      const rpl = rows.filter((c) => c.status === '75');
      expect(rpl.filter((c) => c.rplgrade !== '').length).toBeGreaterThan(rpl.length / 2);
      expect(rows.filter((c) => c.status === '50' && c.organisationid !== '').length).toBeGreaterThan(0);
      expect(rows.filter((c) => c.status === '10' && c.organisationid !== '').length).toBe(0);
    });

    it('spread over the years before as_of', () => {
      const completed = g.table('course_completions').values('timecompleted').map(seconds).filter((t) => t > 0);
      const byYear = groupBy(completed, (t) => String(Math.floor((AS_OF_UNIX - t) / YEAR)));
      for (const y of ['0', '1', '2']) expect(byYear.get(y)?.length ?? 0).toBeGreaterThan(completed.length / 10);
    });

    it('do not pile up before as_of: the last day and the last 30 days hold about what the days before them do', () => {
      // Times squeezed into what was left of the export (a completion capped at as_of, a start drawn
      // anywhere up to it) put several times a usual day's completions on the day before as_of.
      const end = endOfExport(g.table('course_completions').values('timecompleted'));
      expect(end.meanDay).toBeGreaterThan(20);
      expect(end.lastDay).toBeLessThanOrEqual(1.5 * end.meanDay);
      expect(end.last30).toBeLessThanOrEqual(1.25 * end.previous30);
      const started = endOfExport(g.table('course_completions').values('timestarted'));
      expect(started.lastDay).toBeLessThanOrEqual(1.5 * started.meanDay);
    });

    it('cover every course type', () => {
      expect(new Set(g.table('courses').values('coursetype'))).toEqual(new Set(['0', '1', '2']));
    });
  });

  describe('programs', () => {
    it('have program-level rows and course-set rows, set ids matching program_courses', () => {
      const rows = g.table('prog_completions').objects();
      expect(rows.some((p) => p.coursesetid === '0')).toBe(true);
      expect(rows.some((p) => Number(p.coursesetid) > 0)).toBe(true);
      const sets = new Set(g.table('program_courses').objects().map((pc) => `${pc.programid}/${pc.coursesetid}`));
      const setRows = rows.filter((r) => r.coursesetid !== '0');
      expect(setRows.filter((p) => !sets.has(`${p.programid}/${p.coursesetid}`))).toEqual([]);
      // Every course-set row belongs to a user who has the program-level row.
      const programLevel = new Set(rows.filter((r) => r.coursesetid === '0').map((r) => `${r.programid}/${r.userid}`));
      expect(setRows.filter((p) => !programLevel.has(`${p.programid}/${p.userid}`))).toEqual([]);
    });

    it('are overdue and not: due dates past and future, -1 for none and a few 0', () => {
      const plain = new Set(g.table('programs').objects().filter((p) => p.certifid === '').map((p) => p.id));
      const rows = g.table('prog_completions').objects().filter((p) => p.coursesetid === '0' && plain.has(p.programid));
      const due = rows.map((p) => Number(p.timedue));
      expect(due.filter((d) => d === -1).length).toBeGreaterThan(0);
      expect(due.filter((d) => d === 0).length).toBeGreaterThan(0);
      expect(due.filter((d) => d > AS_OF_UNIX).length).toBeGreaterThan(0);
      const overdue = rows.filter((p) => p.status === '0' && Number(p.timedue) > 0 && Number(p.timedue) < AS_OF_UNIX);
      expect(overdue.length).toBeGreaterThan(0);
      const { programsOverdue, programsNoDueDate, programsDueDateError } = g.report.cases;
      const find = (c: { programId: number; userId: number }) => rows.find((p) => p.programid === String(c.programId) && p.userid === String(c.userId))!;
      for (const c of programsOverdue) {
        const p = find(c);
        expect(p.status).toBe('0');
        expect(Number(p.timedue)).toBeGreaterThan(0);
        expect(Number(p.timedue)).toBeLessThan(AS_OF_UNIX);
      }
      for (const c of programsNoDueDate) expect(find(c).timedue).toBe('-1');
      for (const c of programsDueDateError) expect(find(c).timedue).toBe('0');
    });

    it('are complete only with a completion time after the start', () => {
      const bad = g
        .table('prog_completions')
        .objects()
        .filter((p) => {
          const complete = p.coursesetid === '0' ? p.status === '1' : p.status === '1' || p.status === '3';
          const completed = seconds(p.timecompleted);
          return complete ? !(completed > 0 && completed >= seconds(p.timestarted)) : completed !== 0;
        });
      expect(bad).toEqual([]);
    });
  });

  describe('certifications', () => {
    it('are programs with certifid set and recertification settings', () => {
      const certs = g.table('programs').objects().filter((p) => p.certifid !== '');
      expect(certs.length).toBeGreaterThanOrEqual(3);
      for (const c of certs) {
        expect(c.activeperiod).toMatch(/^\d+ (day|month|year)$/);
        expect(c.windowperiod).toMatch(/^\d+ (day|month|year)$/);
        expect(['1', '2', '3']).toContain(c.recertifydatetype);
      }
      expect(certs.some((c) => c.windowperiod === '30 day')).toBe(true);
      expect(certs.some((c) => c.windowperiod.endsWith('month'))).toBe(true);
      // Their course sets are on both paths.
      const paths = new Set(g.table('program_courses').objects().filter((pc) => certs.some((c) => c.id === pc.programid)).map((pc) => pc.certifpath));
      expect(paths).toEqual(new Set(['1', '2']));
    });

    it('are in every state, each consistent with as_of', () => {
      const states = new Map<string, number>();
      for (const c of g.table('cert_completions').objects()) {
        const completed = seconds(c.timecompleted);
        const expires = seconds(c.timeexpires);
        const opens = seconds(c.timewindowopens);
        const where = `cert completion ${c.id}`;
        let state: string;
        if (c.renewalstatus === '2' || c.status === '4') {
          state = 'expired';
          expect({ where, ok: expires > 0 && expires <= AS_OF_UNIX && c.status === '4' && c.renewalstatus === '2' }).toEqual({ where, ok: true });
        } else if (c.renewalstatus === '1') {
          state = 'window_open';
          expect({ where, ok: completed > 0 && opens <= AS_OF_UNIX && AS_OF_UNIX < expires }).toEqual({ where, ok: true });
        } else if (c.status === '3') {
          state = 'certified';
          expect({ where, ok: completed > 0 && completed <= AS_OF_UNIX && expires > AS_OF_UNIX && opens > AS_OF_UNIX }).toEqual({ where, ok: true });
        } else {
          state = c.status === '2' ? 'in_progress' : 'assigned';
          expect({ where, ok: completed === 0 && expires === 0 && ['1', '2'].includes(c.status) }).toEqual({ where, ok: true });
        }
        if (completed > 0) expect(opens).toBeLessThan(expires);
        states.set(state, (states.get(state) ?? 0) + 1);
      }
      expect([...states.keys()].sort()).toEqual(['assigned', 'certified', 'expired', 'in_progress', 'window_open']);
    });

    it('each have their program\u2019s program-level row, with a due date', () => {
      const programOf = new Map(g.table('programs').objects().filter((p) => p.certifid !== '').map((p) => [p.certifid, p.id]));
      const programRows = new Map(
        g.table('prog_completions').objects().filter((p) => p.coursesetid === '0').map((p) => [`${p.programid}/${p.userid}`, p]),
      );
      for (const c of g.table('cert_completions').objects()) {
        const p = programRows.get(`${programOf.get(c.certifid)}/${c.userid}`);
        expect(p).toBeDefined();
        expect(p!.timedue).toMatch(/^-?\d+$/);
        if (c.status === '3' && c.renewalstatus === '0') {
          expect(p!.status).toBe('1');
          expect(Number(p!.timedue)).toBe(seconds(c.timeexpires));
        }
      }
    });

    it('are listed in the report by state', () => {
      const rows = new Map(g.table('cert_completions').objects().map((c) => [`${c.certifid}/${c.userid}`, c]));
      const at = (c: { certifId: number; userId: number }) => rows.get(`${c.certifId}/${c.userId}`)!;
      const cases = g.report.cases;
      expect(cases.certificationsAssigned.every((c) => at(c).status === '1')).toBe(true);
      expect(cases.certificationsInProgress.every((c) => at(c).status === '2')).toBe(true);
      expect(cases.certificationsCertified.every((c) => at(c).status === '3' && at(c).renewalstatus === '0')).toBe(true);
      expect(cases.certificationsWindowOpen.every((c) => at(c).renewalstatus === '1')).toBe(true);
      expect(cases.certificationsExpired.every((c) => at(c).status === '4')).toBe(true);
      expect(cases.certificationsOverdue.length).toBeGreaterThan(0);
      for (const list of [cases.certificationsAssigned, cases.certificationsCertified, cases.certificationsWindowOpen, cases.certificationsExpired]) {
        expect(list.length).toBeGreaterThan(0);
      }
    });
  });

  describe('SCORM', () => {
    it('has SCORM 1.2 and 2004 packages', () => {
      expect(new Set(g.table('scorm').values('version'))).toEqual(new Set(['SCORM_12', 'SCORM_13']));
    });

    it('tracks one row per element per attempt, in each version\u2019s vocabulary and time format', () => {
      const version = new Map(g.table('scorm').objects().map((s) => [s.id, s.version]));
      const values = new Map<string, Set<string>>();
      const bad: string[] = [];
      const tracks = g.table('scorm_tracks');
      const [scormid, element, value] = [tracks.col('scormid'), tracks.col('element'), tracks.col('value')];
      for (const t of tracks.rows) {
        const e = t[element];
        const v = t[value];
        const v12 = version.get(t[scormid]) === 'SCORM_12';
        if (e.startsWith('cmi.core.') !== v12) bad.push(`${e} in a ${version.get(t[scormid])} package`);
        if (!values.has(e)) values.set(e, new Set());
        values.get(e)!.add(v);
        if (e === 'cmi.core.total_time' && !/^\d{4}:\d{2}:\d{2}\.\d{2}$/.test(v)) bad.push(`${e} ${v}`);
        if (e === 'cmi.total_time' && !/^PT(\d+H)?\d+M\d+(\.\d+)?S$/.test(v)) bad.push(`${e} ${v}`);
        if (e.endsWith('score.raw') && !(Number(v) >= 0 && Number(v) <= 100)) bad.push(`${e} ${v}`);
      }
      expect(bad).toEqual([]);
      expect(values.get('cmi.core.lesson_status')).toEqual(new Set(['passed', 'completed', 'failed', 'incomplete', 'browsed', 'not attempted']));
      expect(values.get('cmi.completion_status')).toEqual(new Set(['completed', 'incomplete', 'not attempted']));
      expect(values.get('cmi.success_status')).toEqual(new Set(['passed', 'failed', 'unknown']));
      for (const e of ['cmi.core.total_time', 'cmi.core.score.raw', 'cmi.total_time', 'cmi.score.raw']) expect(values.has(e)).toBe(true);
    });

    it('spreads its tracks over the days before as_of: its last day holds no more than a usual day', () => {
      const day = (t: string) => String(Math.floor(seconds(t) / 86400));
      const lastDay = Math.floor(AS_OF_UNIX / 86400);
      const byDay = groupBy(g.table('scorm_tracks').values('timemodified'), day);
      const month = Array.from({ length: 30 }, (_, i) => byDay.get(String(lastDay - 1 - i))?.length ?? 0).sort((a, b) => a - b);
      expect(byDay.get(String(lastDay))?.length ?? 0).toBeLessThanOrEqual(2 * month[15]);
    });

    it('spreads its tracks up to as_of: the last 30 days hold about what the 30 before them do', () => {
      const end = endOfExport(g.table('scorm_tracks').values('timemodified'));
      expect(end.lastDay).toBeLessThanOrEqual(1.5 * end.meanDay);
      expect(end.last30).toBeLessThanOrEqual(1.25 * end.previous30);
    });

    it('has several attempts for some users', () => {
      const attempts = groupBy(g.table('scorm_tracks').objects(), (t) => `${t.userid}/${t.scormid}`);
      const several = [...attempts.values()].filter((rows) => new Set(rows.map((r) => r.attempt)).size > 1);
      expect(several.length).toBeGreaterThan(10);
    });
  });

  describe('seminars', () => {
    it('have sessions over several dates, and cancelled sessions', () => {
      const sessions = groupBy(g.table('seminar_sessions').objects(), (s) => s.sessionid);
      expect([...sessions.values()].some((dates) => dates.length > 1)).toBe(true);
      expect([...sessions.values()].some((dates) => dates[0].cancelledstatus === '1')).toBe(true);
      for (const dates of sessions.values()) {
        for (const d of dates) expect(seconds(d.timefinish)).toBeGreaterThan(seconds(d.timestart));
        expect(new Set(dates.map((d) => d.cancelledstatus)).size).toBe(1);
      }
    });

    it('have signup histories: increasing timecreated, only the last current', () => {
      const signups = groupBy(g.table('seminar_signups').objects(), (s) => s.signupid);
      let histories = 0;
      for (const rows of signups.values()) {
        const times = rows.map((r) => seconds(r.timecreated));
        for (let i = 1; i < times.length; i++) expect(times[i]).toBeGreaterThan(times[i - 1]);
        expect(rows.map((r) => r.superceded)).toEqual(rows.map((_, i) => (i === rows.length - 1 ? '0' : '1')));
        expect(new Set(rows.map((r) => `${r.sessionid}/${r.userid}`)).size).toBe(1);
        expect(Math.max(...times)).toBeLessThanOrEqual(AS_OF_UNIX);
        if (rows.length > 1) histories++;
      }
      expect(histories).toBeGreaterThan(signups.size / 3);
      const current = new Set(g.table('seminar_signups').objects().filter((s) => s.superceded === '0').map((s) => s.statuscode));
      for (const code of ['10', '20', '30', '40', '50', '60', '70', '80', '90', '100']) expect(current.has(code)).toBe(true);
    });

    it('are booked on the days before as_of as on any other day, not moved to its last day', () => {
      const end = endOfExport(g.table('seminar_signups').values('timecreated'));
      expect(end.meanDay).toBeGreaterThan(1);
      expect(end.lastDay).toBeLessThanOrEqual(3 * end.meanDay);
    });

    it('record attendance after the session and cancellation by the event only for cancelled sessions', () => {
      const sessions = groupBy(g.table('seminar_sessions').objects(), (s) => s.sessionid);
      for (const s of g.table('seminar_signups').objects()) {
        const dates = sessions.get(s.sessionid)!;
        if (['80', '90', '100'].includes(s.statuscode)) {
          expect(seconds(s.timecreated)).toBeGreaterThan(Math.max(...dates.map((d) => seconds(d.timefinish))));
        }
        if (s.statuscode === '20') expect(dates[0].cancelledstatus).toBe('1');
      }
    });
  });
});
