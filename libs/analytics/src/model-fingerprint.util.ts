import { createHash } from 'node:crypto';
import type { Dialect } from '@kineo/warehouse';
import type { AnalyticsQuery, AnalyticsScope } from './analytics.types';
import { compileDrill } from './compiler/compile-drill';
import { compileQuery } from './compiler/compile-query';
import { describeModel } from './describe-model';
import { CUBES } from './model';

const known = new Map<string, string>();

/** Fixed inputs: only the model's own SQL and what it says of its members may move the fingerprint. */
const AS_OF = '2000-01-01';
const SCOPES: AnalyticsScope[] = [
  { kind: 'tenant' },
  { kind: 'manager', managerUserId: 1, reach: 'all' },
  { kind: 'viewer', organisationIds: [1] },
];

/**
 * A hash of the SQL the model compiles to: every measure (and its drill list), every dimension and
 * every scope. A release that changes what a member means changes it, so answers cached by an
 * earlier release (their key holds it) are never served as this release's; the model's functions
 * are compiled rather than read, because their text hides what their closures hold. What an
 * answer's columns say (titles, formats, a coded dimension's labels) is cached with its rows, so
 * the model's description is part of it too.
 */
export function modelFingerprint(dialect: Dialect, options: { fresh?: boolean } = {}): string {
  const memo = known.get(dialect.engine);
  if (memo && !options.fresh) return memo;
  const hash = createHash('sha256');
  const add = (compile: () => { sql: string; params: unknown[] }) => {
    try {
      const { sql, params } = compile();
      hash.update(sql).update(JSON.stringify(params, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)));
    } catch (error) {
      // A member the compiler refuses on its own is part of what the model is.
      hash.update(`refused: ${error instanceof Error ? error.message : String(error)}`);
    }
    hash.update('\n');
  };
  const compileOptions = { asOf: AS_OF };
  for (const cube of CUBES.values()) {
    const measures = Object.keys(cube.measures).map((m) => `${cube.name}.${m}`);
    const first = measures.slice(0, 1);
    for (const scope of SCOPES) add(() => compileQuery({ measures }, scope, dialect, compileOptions));
    for (const measure of measures) add(() => compileDrill({ query: { measures: [measure] }, cell: {}, measure }, SCOPES[0], dialect, compileOptions));
    for (const [name, d] of Object.entries(cube.dimensions)) {
      const member = `${cube.name}.${name}`;
      const query: AnalyticsQuery =
        d.type === 'time' ? { measures: first, timeDimension: { dimension: member, granularity: 'day' } } : { measures: first, dimensions: [member] };
      add(() => compileQuery(query, SCOPES[0], dialect, compileOptions));
    }
  }
  hash.update(JSON.stringify(describeModel()));
  const fingerprint = hash.digest('base64url').slice(0, 16);
  known.set(dialect.engine, fingerprint);
  return fingerprint;
}
