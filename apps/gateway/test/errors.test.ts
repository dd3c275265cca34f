import { DatabaseUnavailableError } from '@kineo/db';
import { DomainError } from '@kineo/errors';
import { GraphQLError } from 'graphql';
import { toClientErrors } from '../src/engine/errors/client-errors.util';

function resolverError(original: Error): GraphQLError {
  return new GraphQLError(original.message, { path: ['tenants'], originalError: original });
}

describe('what a GraphQL client is told about a failure', () => {
  it('a domain error keeps its code and message', () => {
    const { errors, hidden } = toClientErrors(
      [resolverError(new DomainError('TENANT_NOT_FOUND', 'No tenant "acme".'))],
      'req-1',
    );

    expect(errors).toEqual([{ message: 'No tenant "acme".', path: ['tenants'], extensions: { code: 'TENANT_NOT_FOUND' } }]);
    expect(hidden).toEqual([]);
  });

  it('a platform error whose code is not raised for the caller is INTERNAL: the code decides, not the class', () => {
    const warehouse = new DomainError('WAREHOUSE_QUERY_FAILED', 'Query failed in t_000001.gold.fact_course_progress');
    const { errors, hidden } = toClientErrors([resolverError(warehouse)], 'req-4');

    expect(errors).toEqual([
      { message: expect.stringContaining('req-4'), path: ['tenants'], extensions: { code: 'INTERNAL', requestId: 'req-4' } },
    ]);
    expect(hidden.map((e) => e.originalError)).toEqual([warehouse]);
  });

  it('a database outage is SERVICE_UNAVAILABLE, without the database address or CLI advice', () => {
    const outage = new DatabaseUnavailableError('db.internal.kineo:5432/kineo', 'ECONNREFUSED');
    const { errors, hidden } = toClientErrors([resolverError(outage)], 'req-2');

    expect(errors).toEqual([
      {
        message: expect.stringContaining('req-2'),
        path: ['tenants'],
        extensions: { code: 'SERVICE_UNAVAILABLE', requestId: 'req-2' },
      },
    ]);
    expect(JSON.stringify(errors)).not.toMatch(/db\.internal|5432|kineo stack/);
    expect(hidden.map((e) => e.originalError)).toEqual([outage]);
  });

  it('any other error is INTERNAL with the request id, its message kept for the log only', () => {
    const raw = new Error('duckdb: IO Error: Cannot open file "/data/warehouse/t_1x/gold/v3.duckdb"');
    const { errors, hidden } = toClientErrors([resolverError(raw)], 'req-3');

    expect(errors).toEqual([
      { message: expect.stringContaining('req-3'), path: ['tenants'], extensions: { code: 'INTERNAL', requestId: 'req-3' } },
    ]);
    expect(JSON.stringify(errors)).not.toContain('duckdb');
    expect(hidden.map((e) => e.originalError)).toEqual([raw]);
  });
});
