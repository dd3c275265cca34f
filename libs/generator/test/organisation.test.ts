import type { Table } from './support/csv';
import { AS_OF_UNIX, AS_OF, generate, removeTempDirs, seconds, type Generated } from './support/fixture';

interface Assignment {
  id: number;
  userId: number;
  sortorder: number;
  managerJa: number;
  tempJa: number;
  tempExpiry: number;
}

/** The reporting lines as the contract defines them, read back from the files. */
class Reporting {
  readonly assignments: Assignment[];
  readonly byId = new Map<number, Assignment>();
  readonly primary = new Map<number, Assignment>();
  readonly byUser = new Map<number, Assignment[]>();
  readonly deleted = new Set<number>();
  readonly suspended = new Set<number>();
  readonly users: number[];

  constructor(users: Table, jobs: Table) {
    this.users = users.values('id').map(Number);
    users.objects().forEach((u) => {
      if (u.deleted === '1') this.deleted.add(Number(u.id));
      if (u.suspended === '1') this.suspended.add(Number(u.id));
    });
    this.assignments = jobs.objects().map((j) => ({
      id: Number(j.id),
      userId: Number(j.userid),
      sortorder: Number(j.sortorder),
      managerJa: Number(j.managerjaid || 0),
      tempJa: Number(j.tempmanagerjaid || 0),
      tempExpiry: seconds(j.tempmanagerexpirydate),
    }));
    for (const a of this.assignments) {
      this.byId.set(a.id, a);
      this.byUser.set(a.userId, [...(this.byUser.get(a.userId) ?? []), a]);
      const p = this.primary.get(a.userId);
      if (!p || a.sortorder < p.sortorder) this.primary.set(a.userId, a);
    }
  }

  /** The user's manager by their primary assignment's managerjaid (temporary managers aside). */
  manager(userId: number): number | undefined {
    const p = this.primary.get(userId);
    return p && p.managerJa ? this.byId.get(p.managerJa)?.userId : undefined;
  }

  /** The manager as at as_of: an unexpired temporary manager first. */
  currentManager(userId: number): number | undefined {
    const p = this.primary.get(userId);
    if (p && p.tempJa && p.tempExpiry > AS_OF_UNIX) return this.byId.get(p.tempJa)?.userId;
    return this.manager(userId);
  }

  reports(): Map<number, number[]> {
    const reports = new Map<number, number[]>();
    for (const u of this.users) {
      const m = this.manager(u);
      if (m !== undefined) reports.set(m, [...(reports.get(m) ?? []), u]);
    }
    return reports;
  }
}

// The smallest organisation allowed still has every case.
describe.each([
  { users: 3000, seed: 11 },
  { users: 50, seed: 16 },
  { users: 50, seed: 2 },
])('the organisation of a generated export of $users users (seed $seed)', ({ users, seed }) => {
  let g: Generated;
  let r: Reporting;
  beforeAll(async () => {
    g = await generate('organisation', { users, seed, asOf: AS_OF });
    r = new Reporting(g.table('users'), g.table('job_assignments'));
  });
  afterAll(removeTempDirs);

  it.each(['organisations', 'positions'])('%s form a tree: path is the ancestors then self, parentid 0 at the top', (name) => {
    const rows = g.table(name).objects();
    const byId = new Map(rows.map((o) => [o.id, o]));
    for (const o of rows) {
      const parent = o.parentid === '0' ? undefined : byId.get(o.parentid);
      expect(o.path).toBe(`${parent ? parent.path : ''}/${o.id}`);
      expect(Number(o.depthlevel)).toBe(o.path.split('/').length - 1);
    }
    expect(rows.filter((o) => o.parentid === '0').length).toBeGreaterThan(0);
    expect(Math.max(...rows.map((o) => Number(o.depthlevel)))).toBeGreaterThanOrEqual(3);
  });

  it('gives every assignment a known organisation and position', () => {
    const orgs = new Set(g.table('organisations').values('id'));
    const positions = new Set(g.table('positions').values('id'));
    for (const j of g.table('job_assignments').objects()) {
      expect(orgs.has(j.organisationid)).toBe(true);
      expect(positions.has(j.positionid)).toBe(true);
    }
  });

  it('builds a management tree 3-12 levels deep with spans of 3-10 reports', () => {
    const top = r.users.filter((u) => r.primary.has(u) && r.manager(u) === undefined);
    // Levels of the chains that end at a top user (cycles and the self-managed user have no top).
    const levelOf = (u: number): number => {
      const seen = new Set<number>();
      for (let at: number | undefined = u; at !== undefined; at = r.manager(at)) {
        if (seen.has(at)) return 0;
        seen.add(at);
      }
      return seen.size;
    };
    const levels = Math.max(...r.users.map(levelOf));
    expect(levels).toBeGreaterThanOrEqual(3);
    expect(levels).toBeLessThanOrEqual(12);
    expect(levels).toBe(g.report.hierarchyLevels);
    expect(top.length).toBeLessThan(10);

    if (users < 1000) return;
    const spans = [...r.reports().values()].map((reports) => reports.length).sort((a, b) => a - b);
    const median = spans[Math.floor(spans.length / 2)];
    expect(median).toBeGreaterThanOrEqual(3);
    expect(median).toBeLessThanOrEqual(10);
    expect(spans[spans.length - 1]).toBeLessThanOrEqual(12);
    expect(spans.filter((n) => n >= 3 && n <= 10).length / spans.length).toBeGreaterThan(0.9);
  });

  it('points managerjaid at the manager\u2019s job assignment, not their user id', () => {
    const withManager = r.assignments.filter((a) => a.managerJa > 0);
    const resolved = withManager.filter((a) => r.byId.has(a.managerJa));
    const missing = new Set(g.report.cases.missingJobAssignmentIds);
    expect(withManager.filter((a) => !r.byId.has(a.managerJa)).every((a) => missing.has(a.managerJa))).toBe(true);
    expect(resolved.length).toBeGreaterThan(withManager.length - 3);
    // Job assignment ids are not the user ids: reading managerjaid as a user id finds the wrong person.
    expect(resolved.filter((a) => r.byId.get(a.managerJa)!.userId === a.managerJa)).toEqual([]);
  });

  it('numbers sortorder from 1 per user, so the primary assignment is the lowest sortorder', () => {
    for (const list of r.byUser.values()) expect(list.map((a) => a.sortorder).sort()).toEqual(list.map((_, i) => i + 1));
  });

  describe('the awkward cases', () => {
    it('users with several assignments: the primary may have the higher id, and another has a different manager', () => {
      const { multipleJobAssignments, primaryAssignmentNotLowestId } = g.report.cases;
      expect(multipleJobAssignments.length).toBeGreaterThanOrEqual(3);
      for (const u of multipleJobAssignments) {
        const list = r.byUser.get(u)!;
        expect(list.length).toBeGreaterThanOrEqual(2);
        const primary = r.primary.get(u)!;
        const others = list.filter((a) => a !== primary);
        expect(others.some((a) => a.managerJa > 0 && r.byId.get(a.managerJa)!.userId !== r.manager(u))).toBe(true);
      }
      expect(primaryAssignmentNotLowestId.length).toBeGreaterThan(0);
      for (const u of primaryAssignmentNotLowestId) {
        const list = r.byUser.get(u)!;
        expect(r.primary.get(u)!.id).toBe(Math.max(...list.map((a) => a.id)));
      }
    });

    it('users managed through their manager\u2019s non-primary assignment', () => {
      const cases = g.report.cases.managedThroughSecondaryAssignment;
      expect(cases.length).toBeGreaterThan(0);
      for (const u of cases) {
        const managerJa = r.byId.get(r.primary.get(u)!.managerJa)!;
        expect(r.primary.get(managerJa.userId)).not.toBe(managerJa);
      }
    });

    it('temporary managers, unexpired and expired', () => {
      const { tempManagerActive, tempManagerExpired } = g.report.cases;
      expect(tempManagerActive.length).toBeGreaterThan(0);
      expect(tempManagerExpired.length).toBeGreaterThan(0);
      for (const u of tempManagerActive) {
        const p = r.primary.get(u)!;
        expect(p.tempExpiry).toBeGreaterThan(AS_OF_UNIX);
        expect(r.currentManager(u)).toBe(r.byId.get(p.tempJa)!.userId);
        expect(r.currentManager(u)).not.toBe(r.manager(u));
      }
      for (const u of tempManagerExpired) {
        const p = r.primary.get(u)!;
        expect(r.byId.has(p.tempJa)).toBe(true);
        expect(p.tempExpiry).toBeLessThan(AS_OF_UNIX);
        expect(r.currentManager(u)).toBe(r.manager(u));
      }
    });

    it('deleted managers who still manage someone', () => {
      const { deletedManagers } = g.report.cases;
      expect(deletedManagers.length).toBeGreaterThan(0);
      const reports = r.reports();
      for (const u of deletedManagers) {
        expect(r.deleted.has(u)).toBe(true);
        expect(reports.get(u)?.length ?? 0).toBeGreaterThan(0);
      }
    });

    it('suspended users, one of them a manager', () => {
      const { suspendedUsers } = g.report.cases;
      expect(suspendedUsers.length).toBeGreaterThan(1);
      for (const u of suspendedUsers) expect(r.suspended.has(u)).toBe(true);
      expect(r.reports().get(suspendedUsers[0])?.length ?? 0).toBeGreaterThan(0);
    });

    it('deleted users', () => {
      expect(g.report.cases.deletedUsers.length).toBeGreaterThan(0);
      for (const u of g.report.cases.deletedUsers) expect(r.deleted.has(u)).toBe(true);
    });

    it('users with no job assignment', () => {
      const { noJobAssignment } = g.report.cases;
      expect(noJobAssignment.length).toBeGreaterThanOrEqual(2);
      for (const u of noJobAssignment) {
        expect(r.users).toContain(u);
        expect(r.byUser.has(u)).toBe(false);
      }
    });

    it('a self-managed user', () => {
      const [u] = g.report.cases.selfManaged;
      const p = r.primary.get(u)!;
      expect(p.managerJa).toBe(p.id);
      expect(r.manager(u)).toBe(u);
    });

    it('manager cycles that really cycle through job_assignments', () => {
      const { managerCycles, reportsOfCycle } = g.report.cases;
      expect(managerCycles.map((c) => c.length).sort()).toEqual([2, 3]);
      for (const cycle of managerCycles) {
        cycle.forEach((u, i) => expect(r.manager(cycle[(i + 1) % cycle.length])).toBe(u));
        // Walking up from any member comes back to it.
        let at = cycle[0];
        for (let i = 0; i < cycle.length; i++) at = r.manager(at)!;
        expect(at).toBe(cycle[0]);
      }
      expect(r.manager(reportsOfCycle[0])).toBe(managerCycles[0][0]);
    });

    it('managerjaid naming an assignment that does not exist, including for a manager of others', () => {
      const { danglingManagerAssignment, danglingManagerWithReports, missingJobAssignmentIds } = g.report.cases;
      expect(danglingManagerAssignment.length).toBeGreaterThanOrEqual(2);
      for (const u of danglingManagerAssignment) {
        const p = r.primary.get(u)!;
        expect(p.managerJa).toBeGreaterThan(0);
        expect(r.byId.has(p.managerJa)).toBe(false);
        expect(missingJobAssignmentIds).toContain(p.managerJa);
      }
      expect(r.reports().get(danglingManagerWithReports[0])?.length ?? 0).toBeGreaterThan(0);
    });

    it('sentinel dates from null_dates.csv', () => {
      const { sentinelDates } = g.report.cases;
      expect(new Set(sentinelDates.map((c) => c.value))).toEqual(new Set(['1970-01-01', '2147483647', '9999-12-31']));
      for (const c of sentinelDates) {
        const t = g.table(c.file);
        const row = t.rows.find((row) => row[t.col('id')] === String(c.id))!;
        expect(row[t.col(c.column)]).toBe(c.value);
      }
    });
  });
});
