import type { Settings } from './generator.settings';
import { FIRST_JOB_ASSIGNMENT_ID, FIRST_USER_ID } from './generator.settings';
import { mix, Rng, SALT } from './random.util';
import { DAY, startOfDay } from './time.util';
import { COMPANY_NAME, DEPARTMENTS, DIVISIONS, initials, LOCATIONS, POSITION_FRAMEWORK, REGIONS } from './word-lists';

/** Per-user flags, one Uint16 each. */
export const FLAG = {
  deleted: 1,
  suspended: 2,
  noJobAssignment: 4,
  /** Hand-placed case: kept out of the random ones so it stays exactly as placed. */
  special: 8,
  primaryLast: 16,
  neverLoggedIn: 32,
  sentinelEnd: 64,
  multipleAssignments: 128,
  deletedManager: 256,
} as const;

/** A Totara hierarchy (organisations or positions), index = id, index 0 unused. */
export interface Hierarchy {
  count: number;
  parent: Int32Array;
  depth: Uint8Array;
  firstChild: Int32Array;
  childCount: Int32Array;
  fullname: string[];
  shortname: string[];
  /** Organisations only: index into LOCATIONS. */
  location: Uint8Array;
}

export interface TempManager {
  ja: number;
  expiry: number;
}

/**
 * The people and their reporting lines, decided once before any row is written. Everything here is a
 * typed array indexed by user index (1..users; user id = index + FIRST_USER_ID - 1) or a map over the few
 * users it concerns, so it stays small at a million users.
 */
export interface Workforce {
  users: number;
  /** The tree manager (user index), 0 at the top. Hand-placed cases override it through managerJa. */
  manager: Int32Array;
  /** 0 for the top user. */
  level: Uint8Array;
  reports: Uint16Array;
  org: Int32Array;
  position: Int32Array;
  location: Uint8Array;
  flags: Uint16Array;
  jaFirst: Int32Array;
  jaCount: Uint8Array;
  /** The managerjaid written on the user's primary assignment; 0 = none. */
  managerJa: Int32Array;
  /** By user index. */
  temp: Map<number, TempManager>;
  /** managerjaid of non-primary assignments, by job assignment id. */
  otherManagerJa: Map<number, number>;
  /** Job assignment ids skipped when numbering (deleted in the LMS), some of them still referenced. */
  missingJa: number[];
  levels: number;
  orgs: Hierarchy;
  positions: Hierarchy;
  /** Position ids for people who manage nobody. */
  individualPositions: Int32Array;
  special: SpecialUsers;
}

/** Hand-placed cases, as user indexes. */
export interface SpecialUsers {
  selfManaged: number[];
  cycles: number[][];
  reportsOfCycle: number[];
  danglingLeaf: number[];
  danglingManager: number[];
  deletedManagers: number[];
  noJobAssignment: number[];
  suspendedManager: number;
  multipleManager: number;
  viaSecondary: number[];
}

export const userId = (index: number): number => index + FIRST_USER_ID - 1;

export function primaryJa(w: Workforce, index: number): number {
  return w.jaFirst[index] + ((w.flags[index] & FLAG.primaryLast) !== 0 ? w.jaCount[index] - 1 : 0);
}

export function buildWorkforce(s: Settings): Workforce {
  const n = s.users;
  const rng = new Rng(mix(s.seed, SALT.workforce));

  const manager = new Int32Array(n + 1);
  const level = new Uint8Array(n + 1);
  const reports = new Uint16Array(n + 1);
  // Breadth first: each manager takes 3-10 reports; a quarter of people manage nobody, so leaves sit at
  // every level and the tree is log(users) deep (about 9 levels at a million).
  let m = 1;
  let left = rng.int(4, 8);
  let levels = 1;
  for (let u = 2; u <= n; u++) {
    while (left === 0) {
      m++;
      left = m < u - 1 && rng.chance(0.25) ? 0 : rng.int(3, 10);
    }
    manager[u] = m;
    level[u] = level[m] + 1;
    if (level[u] + 1 > levels) levels = level[u] + 1;
    reports[m]++;
    left--;
  }
  let managerCount = 0;
  for (let u = 1; u <= n; u++) if (reports[u] > 0) managerCount++;
  const managers = new Int32Array(managerCount);
  for (let u = 1, k = 0; u <= n; u++) if (reports[u] > 0) managers[k++] = u;

  const orgs = buildOrganisations(Math.min(20_000, Math.max(8, Math.ceil(n / 30))), rng);
  const positions = buildPositions();
  const roles = positionRoles(positions);

  const org = new Int32Array(n + 1);
  const position = new Int32Array(n + 1);
  const location = new Uint8Array(n + 1);
  org[1] = 1;
  position[1] = roles.ceo;
  location[1] = orgs.location[1];
  let topReports = 0;
  for (let u = 2; u <= n; u++) {
    const mo = org[manager[u]];
    if (level[u] === 1) org[u] = orgs.firstChild[1] + (topReports++ % orgs.childCount[1]);
    else if (orgs.childCount[mo] > 0 && rng.chance(0.4)) org[u] = orgs.firstChild[mo] + rng.between(0, orgs.childCount[mo]);
    else org[u] = mo;
    location[u] = rng.chance(0.9) ? orgs.location[org[u]] : rng.between(0, LOCATIONS.length);
    if (reports[u] === 0) position[u] = rng.pick(roles.individual);
    else if (level[u] === 1) position[u] = rng.pick(roles.executive);
    else if (level[u] === 2) position[u] = rng.pick(roles.senior);
    else position[u] = rng.pick(roles.line);
  }

  const flags = new Uint16Array(n + 1);
  const jaCount = new Uint8Array(n + 1);
  const isFree = (u: number) => (flags[u] & FLAG.special) === 0;
  const pickLeaf = (): number => {
    for (let tries = 0; tries < 10_000; tries++) {
      const u = rng.int(2, n);
      if (reports[u] === 0 && isFree(u)) return claim(u);
    }
    for (let u = n; u >= 2; u--) if (reports[u] === 0 && isFree(u)) return claim(u);
    throw new Error('Too few users for the hand-placed cases');
  };
  const pickManager = (minLevel: number): number => {
    for (let tries = 0; tries < 10_000; tries++) {
      const u = managers[rng.between(0, managers.length)];
      if (level[u] >= minLevel && isFree(u)) return claim(u);
    }
    for (const u of managers) if (level[u] >= 1 && isFree(u)) return claim(u);
    throw new Error('Too few managers for the hand-placed cases');
  };
  const claim = (u: number): number => {
    flags[u] |= FLAG.special;
    return u;
  };

  const special: SpecialUsers = {
    selfManaged: [pickLeaf()],
    cycles: [
      [pickLeaf(), pickLeaf(), pickLeaf()],
      [pickLeaf(), pickLeaf()],
    ],
    reportsOfCycle: [pickLeaf()],
    danglingLeaf: [pickLeaf()],
    danglingManager: [pickManager(2)],
    deletedManagers: [pickManager(2), pickManager(2)],
    noJobAssignment: [pickLeaf(), pickLeaf()],
    suspendedManager: 0,
    multipleManager: 0,
    viaSecondary: [],
  };
  for (const u of special.deletedManagers) flags[u] |= FLAG.deleted | FLAG.deletedManager;
  for (const u of special.noJobAssignment) flags[u] |= FLAG.noJobAssignment;

  // Rates of the everyday irregularities.
  for (let u = 2; u <= n; u++) {
    if (!isFree(u)) continue;
    if (reports[u] > 0) {
      if (level[u] >= 2 && rng.chance(0.002)) flags[u] |= FLAG.special | FLAG.deleted | FLAG.deletedManager;
      if (!isFree(u)) {
        special.deletedManagers.push(u);
        continue;
      }
    } else if (rng.chance(0.02)) flags[u] |= FLAG.deleted;
    else if (rng.chance(0.004)) flags[u] |= FLAG.noJobAssignment;
    if ((flags[u] & FLAG.deleted) === 0 && rng.chance(0.02)) flags[u] |= FLAG.suspended;
    if (rng.chance(0.03)) flags[u] |= FLAG.neverLoggedIn;
    if ((flags[u] & FLAG.noJobAssignment) === 0) {
      if (level[u] >= 2 && rng.chance(0.04)) {
        flags[u] |= FLAG.multipleAssignments | (rng.chance(0.5) ? FLAG.primaryLast : 0);
        jaCount[u] = rng.chance(0.85) ? 2 : 3;
      }
      if ((flags[u] & FLAG.deleted) === 0 && rng.chance(0.003)) flags[u] |= FLAG.sentinelEnd;
    }
  }
  // Make sure each irregularity is there however few the users.
  const liveManager = (u: number, minLevel: number) => level[u] >= minLevel && isFree(u) && (flags[u] & FLAG.suspended) === 0;
  const withFreeReport = (minLevel: number) => {
    for (let u = 2; u <= n; u++) {
      if (isFree(u) && (flags[u] & FLAG.noJobAssignment) === 0 && liveManager(manager[u], minLevel)) return manager[u];
    }
    return 0;
  };
  const freeManager = withFreeReport(2) || withFreeReport(1);
  special.suspendedManager = managers.find((u) => level[u] >= 1 && isFree(u) && (flags[u] & FLAG.suspended) !== 0) ?? 0;
  if (special.suspendedManager === 0) {
    const u = managers.find((v) => level[v] >= 1 && isFree(v) && v !== freeManager) ?? 0;
    if (u > 0) flags[u] |= FLAG.suspended;
    special.suspendedManager = u;
  }
  ensureSome(n, 2, flags, FLAG.suspended, (u) => isFree(u) && reports[u] === 0 && (flags[u] & FLAG.deleted) === 0, rng);
  ensureSome(n, 2, flags, FLAG.deleted, (u) => isFree(u) && reports[u] === 0 && (flags[u] & FLAG.noJobAssignment) === 0, rng);
  ensureSome(n, 2, flags, FLAG.neverLoggedIn, (u) => isFree(u) && (flags[u] & FLAG.deleted) === 0, rng);
  ensureSome(n, 2, flags, FLAG.sentinelEnd, (u) => isFree(u) && (flags[u] & (FLAG.noJobAssignment | FLAG.deleted)) === 0, rng);
  // One manager with two assignments, the primary being the later id, so reports can point at either.
  special.multipleManager = freeManager;
  if (freeManager > 0) {
    flags[freeManager] |= FLAG.multipleAssignments | FLAG.primaryLast;
    jaCount[freeManager] = Math.max(jaCount[freeManager], 2);
  }
  const multipleOk = (u: number) => isFree(u) && level[u] >= 2 && (flags[u] & FLAG.noJobAssignment) === 0;
  ensureSome(n, 4, flags, FLAG.multipleAssignments, multipleOk, rng, (u, k) => {
    jaCount[u] = 2;
    if (k % 2 === 0) flags[u] |= FLAG.primaryLast;
  });
  if (freeManager === 0) {
    const u = flaggedUser(n, flags, FLAG.multipleAssignments);
    if (u > 0) flags[u] |= FLAG.primaryLast;
  }

  // Number the job assignments, leaving a few gaps where the LMS deleted one.
  const jaFirst = new Int32Array(n + 1);
  const missingJa: number[] = [];
  const gapAt = new Set([Math.floor(n / 3), Math.floor((2 * n) / 3)]);
  let nextJa = FIRST_JOB_ASSIGNMENT_ID;
  for (let u = 1; u <= n; u++) {
    if (gapAt.has(u) || rng.chance(0.0005)) missingJa.push(nextJa++);
    if ((flags[u] & FLAG.noJobAssignment) !== 0) jaCount[u] = 0;
    else if (jaCount[u] === 0) jaCount[u] = 1;
    jaFirst[u] = nextJa;
    nextJa += jaCount[u];
  }

  const w: Workforce = {
    users: n,
    manager,
    level,
    reports,
    org,
    position,
    location,
    flags,
    jaFirst,
    jaCount,
    managerJa: new Int32Array(n + 1),
    temp: new Map(),
    otherManagerJa: new Map(),
    missingJa,
    levels,
    orgs,
    positions,
    individualPositions: Int32Array.from(roles.individual),
    special,
  };
  const managerJa = w.managerJa;
  for (let u = 2; u <= n; u++) {
    if (jaCount[u] === 0) continue;
    const boss = manager[u];
    managerJa[u] = primaryJa(w, boss);
    if (jaCount[boss] >= 2 && isFree(u) && rng.chance(boss === freeManager ? 0.5 : 0.3)) {
      managerJa[u] = secondaryJa(w, boss);
      special.viaSecondary.push(u);
    }
  }
  if (special.viaSecondary.length === 0 && freeManager > 0) {
    for (let u = 2; u <= n; u++) {
      if (manager[u] === freeManager && isFree(u) && jaCount[u] > 0) {
        managerJa[u] = secondaryJa(w, freeManager);
        special.viaSecondary.push(u);
        break;
      }
    }
  }

  const setManager = (report: number, boss: number) => {
    managerJa[report] = primaryJa(w, boss);
    manager[report] = boss;
  };
  const self = special.selfManaged[0];
  managerJa[self] = primaryJa(w, self);
  manager[self] = self;
  for (const cycle of special.cycles) {
    for (let i = 0; i < cycle.length; i++) setManager(cycle[(i + 1) % cycle.length], cycle[i]);
  }
  setManager(special.reportsOfCycle[0], special.cycles[0][0]);
  managerJa[special.danglingLeaf[0]] = missingJa[0];
  managerJa[special.danglingManager[0]] = missingJa[1];

  // Temporary managers sit higher in the tree than the user, so an unexpired one never makes a cycle.
  const tempCandidate = (u: number) =>
    isFree(u) && level[u] >= 2 && jaCount[u] > 0 && (flags[u] & FLAG.deleted) === 0 && !w.temp.has(u);
  const today = startOfDay(s.asOf);
  const addTemp = (u: number, active: boolean) => {
    const t = otherManager(w, managers, u, rng, false);
    const expiry = active ? today + rng.int(1, 120) * DAY : today - rng.int(1, 365) * DAY;
    w.temp.set(u, { ja: primaryJa(w, t), expiry });
  };
  let active = 0;
  let expired = 0;
  for (let u = 2; u <= n; u++) {
    if (!tempCandidate(u)) continue;
    const r = rng.next();
    if (r < 0.008) {
      addTemp(u, true);
      active++;
    } else if (r < 0.016) {
      addTemp(u, false);
      expired++;
    }
  }
  for (let tries = 0; (active < 2 || expired < 2) && tries < 100_000; tries++) {
    const u = rng.int(2, n);
    if (!tempCandidate(u)) continue;
    const makeActive = active < 2;
    addTemp(u, makeActive);
    if (makeActive) active++;
    else expired++;
  }

  for (let u = 2; u <= n; u++) {
    if ((flags[u] & FLAG.multipleAssignments) === 0) continue;
    const primary = primaryJa(w, u);
    for (let j = 0; j < jaCount[u]; j++) {
      const id = jaFirst[u] + j;
      if (id !== primary) w.otherManagerJa.set(id, primaryJa(w, otherManager(w, managers, u, rng, true)));
    }
  }
  return w;
}

/** The non-primary assignment of a user with two or more. */
export function secondaryJa(w: Workforce, index: number): number {
  return (w.flags[index] & FLAG.primaryLast) !== 0 ? w.jaFirst[index] : w.jaFirst[index] + 1;
}

/**
 * A live manager other than the user's own: strictly higher in the tree (so a temporary manager can never
 * close a loop), or with `peers` at the user's own level too (for a non-primary assignment).
 */
function otherManager(w: Workforce, managers: Int32Array, u: number, rng: Rng, peers: boolean): number {
  const fits = (t: number) =>
    (peers ? w.level[t] <= w.level[u] : w.level[t] < w.level[u]) &&
    t !== w.manager[u] &&
    t !== u &&
    (w.flags[t] & (FLAG.deleted | FLAG.special)) === 0;
  for (let tries = 0; tries < 40; tries++) {
    const t = managers[rng.between(0, managers.length)];
    if (fits(t)) return t;
  }
  return managers.find(fits) ?? 1;
}

function flaggedUser(n: number, flags: Uint16Array, flag: number): number {
  for (let u = 2; u <= n; u++) if ((flags[u] & flag) !== 0) return u;
  return 0;
}

function ensureSome(
  n: number,
  wanted: number,
  flags: Uint16Array,
  flag: number,
  eligible: (u: number) => boolean,
  rng: Rng,
  onAdd?: (u: number, k: number) => void,
): void {
  let have = 0;
  for (let u = 2; u <= n && have < wanted; u++) if ((flags[u] & flag) !== 0 && eligible(u)) have++;
  for (let tries = 0; have < wanted && tries < 100_000; tries++) {
    const u = rng.int(2, n);
    if ((flags[u] & flag) !== 0 || !eligible(u)) continue;
    flags[u] |= flag;
    onAdd?.(u, have);
    have++;
  }
}

function emptyHierarchy(count: number): Hierarchy {
  return {
    count,
    parent: new Int32Array(count + 1),
    depth: new Uint8Array(count + 1),
    firstChild: new Int32Array(count + 1),
    childCount: new Int32Array(count + 1),
    fullname: new Array<string>(count + 1).fill(''),
    shortname: new Array<string>(count + 1).fill(''),
    location: new Uint8Array(count + 1),
  };
}

/** Company → divisions → regional units → departments → teams, breadth first. */
function buildOrganisations(count: number, rng: Rng): Hierarchy {
  const h = emptyHierarchy(count);
  h.depth[1] = 1;
  h.fullname[1] = COMPANY_NAME;
  h.shortname[1] = initials(COMPANY_NAME);
  h.location[1] = 0;
  let next = 2;
  for (let p = 1; next <= count; p++) {
    const span = Math.min(p === 1 ? rng.int(4, 7) : rng.int(2, 5), count - next + 1);
    h.firstChild[p] = next;
    h.childCount[p] = span;
    for (let k = 0; k < span; k++, next++) {
      h.parent[next] = p;
      const depth = h.depth[p] + 1;
      h.depth[next] = depth;
      let name: string;
      if (depth === 2) name = DIVISIONS[k % DIVISIONS.length];
      else if (depth === 3) name = `${h.fullname[p]} ${REGIONS[k % REGIONS.length]}`;
      else if (depth === 4) name = rng.pick(DEPARTMENTS);
      else name = `${h.fullname[p].replace(/ Team \d+$/, '')} Team ${next}`;
      h.fullname[next] = name;
      h.shortname[next] = `${initials(name) || 'ORG'}${next}`;
      h.location[next] = depth === 2 || rng.chance(0.15) ? rng.between(0, LOCATIONS.length) : h.location[p];
    }
  }
  return h;
}

/** The position framework: family → group → title, numbered depth first. */
function buildPositions(): Hierarchy {
  let count = 0;
  for (const f of POSITION_FRAMEWORK) {
    count += 1;
    for (const g of f.groups) count += 1 + g.titles.length;
  }
  const h = emptyHierarchy(count);
  let id = 0;
  const add = (name: string, parent: number) => {
    id++;
    h.parent[id] = parent;
    h.depth[id] = parent === 0 ? 1 : h.depth[parent] + 1;
    h.fullname[id] = name;
    h.shortname[id] = `${initials(name) || 'POS'}${id}`;
    if (parent > 0) {
      if (h.childCount[parent] === 0) h.firstChild[parent] = id;
      h.childCount[parent]++;
    }
    return id;
  };
  for (const f of POSITION_FRAMEWORK) {
    const family = add(f.family, 0);
    for (const g of f.groups) {
      const group = add(g.group, family);
      for (const title of g.titles) add(title, group);
    }
  }
  return h;
}

function positionRoles(h: Hierarchy) {
  const byName = new Map<string, number>();
  for (let i = 1; i <= h.count; i++) if (!byName.has(h.fullname[i])) byName.set(h.fullname[i], i);
  const ids = (names: readonly string[]) => names.map((name) => byName.get(name)!);
  const individual: number[] = [];
  for (const f of POSITION_FRAMEWORK) {
    if (f.family === 'Executive' || f.family === 'Management') continue;
    individual.push(...ids(f.groups.flatMap((g) => g.titles)));
  }
  return {
    ceo: byName.get('Chief Executive Officer')!,
    executive: ids(['Chief Operating Officer', 'Chief Financial Officer', 'Chief People Officer', 'Chief Technology Officer', 'Director']),
    senior: ids(['Director', 'Head of Department']),
    line: ids(['Senior Manager', 'Manager', 'Manager', 'Team Leader', 'Team Leader', 'Supervisor']),
    individual,
  };
}
