import { createHash } from 'node:crypto';
import type { AnalyticsQuery, AnalyticsScope } from './analytics.types';
import { normaliseScope } from './compiler/scope';

/** JSON with object keys sorted and undefined dropped; arrays keep their order (members' order is meaningful). */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * What a query answers for whom: the same query under another scope is another answer, so the
 * scope is part of the identity (result cache keys, exports).
 */
export function queryIdentity(query: AnalyticsQuery, scope: AnalyticsScope): string {
  return createHash('sha256')
    .update(canonicalJson({ query, scope: normaliseScope(scope) }))
    .digest('hex');
}
