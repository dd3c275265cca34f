/**
 * An independent computation of UserAllReports in TypeScript, straight from the contract's
 * words, to check the SQL against: walk up from every user, one manager at a time.
 */
export interface OracleUser {
  id: number;
  deleted: boolean;
}
export interface OracleAssignment {
  id: number;
  userid: number;
  sortorder: number;
  managerjaid: number | null;
  tempmanagerjaid: number | null;
  tempmanagerexpiry: number | null; // unix seconds
}

export interface Relationship {
  manager: number;
  user: number;
  relationship: 'self' | 'direct' | 'indirect';
  depth: number;
}

export function oracleHierarchy(users: OracleUser[], assignments: OracleAssignment[], asOfSeconds: number) {
  const alive = new Map(users.filter((u) => !u.deleted).map((u) => [u.id, u]));
  const byId = new Map(assignments.map((a) => [a.id, a]));
  const manager = new Map<number, number | null>();
  for (const user of alive.values()) {
    const primary = assignments
      .filter((a) => a.userid === user.id)
      .sort((a, b) => a.sortorder - b.sortorder || a.id - b.id)[0];
    if (!primary) {
      manager.set(user.id, null);
      continue;
    }
    const useTemp = primary.tempmanagerjaid !== null && primary.tempmanagerexpiry !== null && primary.tempmanagerexpiry > asOfSeconds;
    const jaId = useTemp ? primary.tempmanagerjaid : primary.managerjaid;
    const ja = jaId === null || jaId === 0 ? undefined : byId.get(jaId);
    manager.set(user.id, ja && alive.has(ja.userid) ? ja.userid : null);
  }
  const relationships: Relationship[] = [];
  const cycles = new Map<number, number[]>();
  for (const user of alive.keys()) {
    relationships.push({ manager: user, user, relationship: 'self', depth: 0 });
    const seen = new Set<number>();
    let current = manager.get(user) ?? null;
    let depth = 1;
    while (current !== null && !seen.has(current)) {
      seen.add(current);
      if (current === user) {
        break;
      }
      relationships.push({ manager: current, user, relationship: depth === 1 ? 'direct' : 'indirect', depth });
      current = manager.get(current) ?? null;
      depth++;
    }
    if (current === user) {
      // user is on a cycle: its members are the managers walked before coming back
      cycles.set(user, [user, ...[...seen].filter((m) => m !== user)].sort((a, b) => a - b));
    }
  }
  return { manager, relationships, cycles };
}
