import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDbWarehouse, namespaceForTenantSeq } from '@kineo/warehouse';
import { buildTenant, ingestFiles } from '../src';
import { header, writeCsv } from './fixtures';
import { oracleHierarchy, type OracleAssignment, type OracleUser } from './hierarchy-oracle';

const tenant = { tenantId: 't1', namespace: namespaceForTenantSeq(1) };
const asOf = new Date('2025-06-30T00:00:00Z');
const asOfSeconds = asOf.getTime() / 1000;
const future = asOfSeconds + 86400 * 30;
const past = asOfSeconds - 86400 * 30;

// id, deleted, suspended
const users: (OracleUser & { suspended?: boolean })[] = [
  ...Array.from({ length: 20 }, (_, i) => ({ id: i + 1, deleted: false })),
  { id: 21, deleted: false },
];
users[9].deleted = true; // 10: a deleted manager
users[19].deleted = true; // 20: deleted, had a manager
users[18].suspended = true; // 19: suspended, stays in

const ja = (id: number, userid: number, managerjaid: number | null, extra: Partial<OracleAssignment> = {}): OracleAssignment => ({
  id, userid, sortorder: 1, managerjaid, tempmanagerjaid: null, tempmanagerexpiry: null, ...extra,
});
// job assignment ids are 100 + user id for each primary
const assignments: OracleAssignment[] = [
  ja(101, 1, null), // CEO
  ja(102, 2, 101), ja(103, 3, 101), ja(104, 4, 102), ja(105, 5, 102), ja(106, 6, 104),
  ja(107, 7, 103), ja(207, 7, 102, { sortorder: 2 }), // several assignments: primary has the lowest sortorder
  ja(108, 8, 102, { tempmanagerjaid: 105, tempmanagerexpiry: future }), // temporary manager, still valid
  ja(109, 9, 103, { tempmanagerjaid: 105, tempmanagerexpiry: past }), // temporary manager, expired
  ja(110, 10, 101), ja(111, 11, 110), // 11's manager is deleted
  // 12 has no job assignment
  ja(113, 13, 113), // self-managed
  ja(114, 14, 116), ja(115, 15, 114), ja(116, 16, 115), ja(117, 17, 114), // cycle 14 -> 15 -> 16 -> 14, 17 below it
  ja(118, 18, 999), // manager assignment does not exist
  ja(119, 19, 101), ja(120, 20, 101), ja(121, 21, 106),
];

describe('the manager hierarchy (UserAllReports)', () => {
  let dir: string;
  let wh: DuckDbWarehouse;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kineo-hier-'));
    wh = new DuckDbWarehouse({ rootDir: path.join(dir, 'warehouse'), landingRoot: path.join(dir, 'landing'), threads: 2 });
    await wh.provision(tenant);
    const landing = path.join(wh.landingDir(tenant), 'load');
    const files = [
      writeCsv(landing, 'users.csv', [
        header('users'),
        ...users.map((u) => `${u.id},u${u.id},,F${u.id},L${u.id},u${u.id}@x.org,,,,99,${u.suspended ? 1 : 0},${u.deleted ? 1 : 0},1600000000,0`),
      ]),
      writeCsv(landing, 'job_assignments.csv', [
        header('job_assignments'),
        // temp manager expiry written as ISO for one row and Unix seconds for the other
        ...assignments.map((a) =>
          [a.id, a.userid, '', '', a.sortorder, a.managerjaid ?? '', a.tempmanagerjaid ?? '',
            a.tempmanagerexpiry === null ? '' : a.userid === 8 ? new Date(a.tempmanagerexpiry * 1000).toISOString() : a.tempmanagerexpiry,
            '', '', 1600000000, 0].join(','),
        ),
      ]),
      writeCsv(landing, 'courses.csv', [header('courses')]),
      writeCsv(landing, 'course_completions.csv', [header('course_completions')]),
    ];
    await ingestFiles(wh, tenant, files.map((p) => ({ path: p })), { batchId: '00000000-0000-4000-8000-000000000001', source: 'test' });
    await buildTenant(wh, tenant, { asOf });
  });

  afterAll(async () => {
    await wh.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const rows = async (sql: string) => (await wh.query(tenant, sql)).rows;

  it('matches an independent walk up the job assignments, pair for pair', async () => {
    const expected = oracleHierarchy(users, assignments, asOfSeconds).relationships
      .map((r) => [r.manager, r.user, r.relationship, r.depth])
      .sort((a, b) => String(a).localeCompare(String(b)));
    const actual = (await rows('select manager_user_id, user_id, relationship, depth from silver.user_all_reports'))
      .map((r) => [r.manager_user_id, r.user_id, r.relationship, r.depth])
      .sort((a, b) => String(a).localeCompare(String(b)));
    expect(actual).toEqual(expected);
  });

  it('relates every user who is not deleted to themself, suspended users included', async () => {
    const selves = (await rows("select user_id from silver.user_all_reports where relationship = 'self' order by 1")).map((r) => r.user_id);
    expect(selves).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 14, 15, 16, 17, 18, 19, 21]);
  });

  it('applies the rules: primary assignment, temporary managers while unexpired, deleted or missing managers', async () => {
    const managers = Object.fromEntries(
      (await rows('select user_id, manager_user_id from silver.user_manager')).map((r) => [r.user_id, r.manager_user_id]),
    );
    expect(managers[7]).toBe(3); // primary (sortorder 1), not the second assignment's manager 2
    expect(managers[8]).toBe(5); // temporary manager until after as_of
    expect(managers[9]).toBe(3); // temporary manager expired
    expect(managers[11]).toBeNull(); // manager deleted
    expect(managers[12]).toBeNull(); // no job assignment
    expect(managers[18]).toBeNull(); // manager assignment missing
    expect(managers[20]).toBeUndefined(); // deleted users are outside the hierarchy
    const problems = await rows('select user_id, manager_problem from silver.user_manager where manager_problem is not null order by 1');
    expect(problems).toEqual([
      { user_id: 11, manager_problem: 'manager user 10 is deleted or missing' },
      { user_id: 18, manager_problem: 'manager job assignment 999 does not exist' },
    ]);
  });

  it('finds each manager-report pair once, at its shortest depth, even on cycles', async () => {
    expect(await rows('select count(*) as n from (select manager_user_id, user_id from silver.user_all_reports group by all having count(*) > 1)')).toEqual([{ n: 0 }]);
    expect(await rows('select manager_user_id, depth from silver.user_all_reports where user_id = 6 order by depth')).toEqual([
      { manager_user_id: 6, depth: 0 },
      { manager_user_id: 4, depth: 1 },
      { manager_user_id: 2, depth: 2 },
      { manager_user_id: 1, depth: 3 },
    ]);
    expect(await rows('select manager_user_id, relationship, depth from silver.user_all_reports where user_id = 17 order by depth, 1')).toEqual([
      { manager_user_id: 17, relationship: 'self', depth: 0 },
      { manager_user_id: 14, relationship: 'direct', depth: 1 },
      { manager_user_id: 16, relationship: 'indirect', depth: 2 },
      { manager_user_id: 15, relationship: 'indirect', depth: 3 },
    ]);
  });

  it('lists every user on a cycle with the cycle they are on', async () => {
    expect(await rows('select user_id, cycle_id, cycle_length from silver.hierarchy_cycles order by user_id')).toEqual([
      { user_id: 13, cycle_id: 13, cycle_length: 1 },
      { user_id: 14, cycle_id: 14, cycle_length: 3 },
      { user_id: 15, cycle_id: 14, cycle_length: 3 },
      { user_id: 16, cycle_id: 14, cycle_length: 3 },
    ]);
    const oracle = oracleHierarchy(users, assignments, asOfSeconds).cycles;
    expect([...oracle.keys()].sort((a, b) => a - b)).toEqual([13, 14, 15, 16]);
  });

  it('publishes the relationships to gold.dim_manager_relationship', async () => {
    expect(await rows("select count(*) as n from gold.dim_manager_relationship where manager_user_key = 1 and relationship = 'indirect'")).toEqual([{ n: 7 }]); // 4, 5, 6, 7, 8, 9, 21
  });
});
