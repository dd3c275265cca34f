import { Inject, Injectable } from '@nestjs/common';
import { MAX_LIMIT, type AnalyticsScope } from '@kineo/analytics';
import type { Warehouse } from '@kineo/warehouse';
import { WAREHOUSE } from '../../engine/warehouse/warehouse.module';
import { AnalyticsService, type AnalyticsTenant } from './analytics.service';

/** An organisation of the LMS hierarchy as the filters and a viewer's grants list it. */
export interface OrganisationNode {
  id: number;
  /** As the dashboards name it: `dim_organisation.label` (the name only on a version built before it). */
  name: string;
  /** Its LMS ids from the top ('/1/5/9'): an organisation's descendants are those whose path runs through it. */
  path: string;
  /** How deep it sits (1 at the top). */
  depth: number;
  /** The caller's learners whose own organisation this is (0 for one that only has learners below it). */
  learners: number;
  /**
   * Within the caller's reach, so a filter may offer it: false for one listed only as the context of
   * those below it (the company above a viewer's grant), whose name would claim more than the figures hold.
   */
  selectable: boolean;
}

/** `label` (the name told apart from another organisation's of the same name) is there from the release that added it; older versions have the name alone. */
type OrganisationRow = { organisation_id: number | bigint; name: string; label?: string | null; path: string; depth: number | null };

/**
 * The part of the organisation hierarchy a caller's learners sit in: each organisation with
 * learners in their scope (from the scoped analytics answer, so a manager's and a viewer's are theirs
 * alone), and every organisation above one, named from the published `gold.dim_organisation`. The
 * ones above matter: a division or a directorate often has no learners of its own, only below it,
 * and is what "Organisation and below" and a viewer's grants most need to offer.
 *
 * Only those within the caller's reach are selectable: every one for an org admin, a viewer's granted
 * organisations and those below them, and for a manager those their reports sit in. The others stay
 * listed (the tree does not read without them) but as headings: filtering by the company above a
 * viewer's grant would show the grant's figures under the company's name.
 */
@Injectable()
export class OrganisationTreeService {
  constructor(
    private readonly answers: AnalyticsService,
    @Inject(WAREHOUSE) private readonly warehouse: Warehouse,
  ) {}

  async treeOf(tenant: AnalyticsTenant, scope: AnalyticsScope): Promise<OrganisationNode[]> {
    const answer = await this.answers.query(tenant, scope, { measures: ['Learner.count'], dimensions: ['Learner.organisationPath'], limit: MAX_LIMIT });
    const key = (member: string) => answer.columns.find((c) => c.member === member)?.key ?? member;
    const learners = new Map<number, number>();
    const above = new Set<number>();
    for (const row of JSON.parse(String(answer.rowsJson)) as Record<string, unknown>[]) {
      const ids = idsOf(row[key('Learner.organisationPath')]);
      if (ids.length === 0) continue;
      const own = ids[ids.length - 1];
      learners.set(own, (learners.get(own) ?? 0) + Number(row[key('Learner.count')] ?? 0));
      for (const id of ids.slice(0, -1)) above.add(id);
    }
    if (learners.size === 0) return [];
    // The whole dimension, one fixed statement: an organisation list is thousands of rows at most.
    // Every column, so a version built before `label` existed still lists its organisations by name.
    const { rows } = await this.warehouse.queryPublished<OrganisationRow>(
      { tenantId: tenant.tenantId, namespace: tenant.namespace },
      'select * from gold.dim_organisation where organisation_key > 0',
    );
    const withinReach = reachOf(scope, learners, rows.map((r) => idsOf(r.path)).filter((path) => learners.has(path[path.length - 1])));
    return rows
      .map((r) => ({ ...r, id: Number(r.organisation_id) }))
      .filter((r) => learners.has(r.id) || above.has(r.id))
      .map((r) => ({
        id: r.id,
        name: r.label ?? r.name,
        path: r.path,
        depth: r.depth ?? idsOf(r.path).length,
        learners: learners.get(r.id) ?? 0,
        selectable: withinReach(r.id, idsOf(r.path)),
      }))
      .sort((a, b) => comparePaths(a.path, b.path));
  }
}

/**
 * Whether an organisation (its id and the ids of its path) is within the scope's reach. `occupied`
 * are the paths of the organisations the caller's learners sit in.
 */
function reachOf(scope: AnalyticsScope, learners: ReadonlyMap<number, number>, occupied: number[][]): (id: number, path: number[]) => boolean {
  switch (scope.kind) {
    case 'tenant':
      return () => true;
    case 'viewer': {
      const granted = new Set(scope.organisationIds);
      return (_, path) => path.some((id) => granted.has(id));
    }
    case 'manager': {
      // A manager's reach is people, not a subtree. An organisation their reports sit in is theirs to
      // choose, and so is one above some of them (a division of a manager whose reports span two):
      // it narrows to those. One above all of them would only restate the whole team under a larger
      // name (the company), so it is a heading, as the company above a viewer's grant is.
      const below = new Map<number, number>();
      for (const path of occupied) {
        const n = learners.get(path[path.length - 1]) ?? 0;
        for (const id of path) below.set(id, (below.get(id) ?? 0) + n);
      }
      const team = [...learners.values()].reduce((sum, n) => sum + n, 0);
      return (id) => (learners.get(id) ?? 0) > 0 || ((below.get(id) ?? 0) > 0 && (below.get(id) ?? 0) < team);
    }
  }
}

/** '/1/5/9' -> [1, 5, 9]; anything that is not an id is skipped. */
function idsOf(path: unknown): number[] {
  if (typeof path !== 'string') return [];
  return path.split('/').flatMap((segment) => (/^\d+$/.test(segment) && Number(segment) > 0 ? [Number(segment)] : []));
}

/** Hierarchy order: a parent before its children, siblings by id, every subtree in one run. */
function comparePaths(a: string, b: string): number {
  const x = idsOf(a);
  const y = idsOf(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
}
