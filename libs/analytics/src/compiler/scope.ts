import { AnalyticsQueryError } from '../analytics-query.error';
import type { AnalyticsScope } from '../analytics.types';
import type { SqlContext } from '../model';

const invalidScope = (message: string) => new AnalyticsQueryError('INVALID_SCOPE', message);

const isId = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);

/** A scope as the caller gave it, checked; viewer grants sorted and deduplicated (the same grants are the same scope). */
export function normaliseScope(scope: AnalyticsScope): AnalyticsScope {
  switch (scope?.kind) {
    case 'tenant':
      return { kind: 'tenant' };
    case 'manager':
      if (!isId(scope.managerUserId)) throw invalidScope(`A manager scope needs the manager's LMS user id, got ${JSON.stringify(scope.managerUserId)}.`);
      if (scope.reach !== 'all' && scope.reach !== 'direct') throw invalidScope(`A manager scope's reach is 'all' or 'direct', got ${JSON.stringify(scope.reach)}.`);
      return { kind: 'manager', managerUserId: scope.managerUserId, reach: scope.reach };
    case 'viewer': {
      const ids = scope.organisationIds;
      if (!Array.isArray(ids) || !ids.every(isId)) throw invalidScope(`A viewer scope needs LMS organisation ids, got ${JSON.stringify(ids)}.`);
      return { kind: 'viewer', organisationIds: [...new Set(ids)].sort((a, b) => a - b) };
    }
    default:
      throw invalidScope(`Unknown scope ${JSON.stringify(scope)}: expected kind 'tenant', 'manager' or 'viewer'.`);
  }
}

/**
 * The rows the caller may see, as a predicate on the row's learner key (a semi-join, so a scope
 * never multiplies rows), or undefined for the whole tenant.
 */
export function scopePredicate(scope: AnalyticsScope, userKey: string, c: Pick<SqlContext, 'param' | 'gold'>): string | undefined {
  const s = normaliseScope(scope);
  switch (s.kind) {
    case 'tenant':
      return undefined;
    case 'manager': {
      // Reports only: 'self' is the manager's own row, which a manager scope never includes.
      // Gold's user keys are the LMS user ids (dim_user.user_key = user_id), so the id is the key.
      const reach = s.reach === 'direct' ? `r.relationship = 'direct'` : `r.relationship in ('direct', 'indirect')`;
      return `${userKey} in (select r.user_key from ${c.gold('dim_manager_relationship')} r where r.manager_user_key = ${c.param(s.managerUserId)} and ${reach})`;
    }
    case 'viewer': {
      if (s.organisationIds.length === 0) return '1 = 0';
      // A granted organisation's subtree: itself and every organisation whose path runs through it.
      return (
        `${userKey} in (select su.user_key from ${c.gold('dim_user')} su ` +
        `join ${c.gold('dim_organisation')} so on so.organisation_key = su.organisation_key ` +
        `join ${c.gold('dim_organisation')} sg on (so.organisation_key = sg.organisation_key or substr(so.path, 1, length(sg.path) + 1) = sg.path || '/') ` +
        `where sg.organisation_key <> -1 and sg.organisation_id in (${s.organisationIds.map((id) => c.param(id)).join(', ')}))`
      );
    }
  }
}
