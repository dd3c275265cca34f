import type { AnalyticsFilterInput, Reach } from './analytics.types';

/**
 * A dashboard's view lives in its URL, so a link reproduces it: each filter is a parameter named by
 * its member (`Learner.organisationName=Nursing`, repeated for several values; `Learner.organisationTree=/5/`
 * for organisation 5 and everything below it), `inactive=include`
 * drops the default active-learners filter, and `reach=direct` narrows a manager to direct reports.
 */
export const INACTIVE_PARAM = 'inactive';
export const REACH_PARAM = 'reach';
const ACTIVE_MEMBER = 'Learner.isActive';
/** "Organisation and below": the parameter's value is the organisation's id as a path segment, `/5/`. */
export const TREE_MEMBER = 'Learner.organisationTree';

export function filtersFromParams(params: URLSearchParams): AnalyticsFilterInput[] {
  const byMember = new Map<string, string[]>();
  for (const [key, value] of params) {
    if (!key.includes('.') || !value) continue;
    byMember.set(key, [...(byMember.get(key) ?? []), value]);
  }
  // A subtree ('/5/') is every organisation whose path runs through it: the path contains it.
  const filters: AnalyticsFilterInput[] = [...byMember].map(([member, values]) => ({ member, operator: member === TREE_MEMBER ? 'contains' : 'equals', values }));
  // Learner.isActive is never null, so "set" keeps everyone: the default active-only filter is replaced.
  if (params.get(INACTIVE_PARAM) === 'include') filters.push({ member: ACTIVE_MEMBER, operator: 'set' });
  return filters;
}

export function reachFromParams(params: URLSearchParams): Reach {
  return params.get(REACH_PARAM) === 'direct' ? 'direct' : 'all';
}

/** The same view with one parameter set (or removed when empty); a filter's values are the parameter repeated. */
export function withParam(params: URLSearchParams, key: string, value: string | readonly string[] | null): URLSearchParams {
  const next = new URLSearchParams(params);
  next.delete(key);
  for (const one of typeof value === 'string' ? [value] : (value ?? [])) if (one) next.append(key, one);
  return next;
}

/** Only the parameters that shape the dashboard (filters, inactive, reach): what a drill link carries. */
export function viewParams(params: URLSearchParams): URLSearchParams {
  const next = new URLSearchParams();
  for (const [key, value] of params) if (key.includes('.') || key === INACTIVE_PARAM || key === REACH_PARAM) next.append(key, value);
  return next;
}

export function hrefWith(pathname: string, params: URLSearchParams): string {
  const query = params.toString();
  return query ? `${pathname}?${query}` : pathname;
}
