import { TenancyError } from './tenancy.exception';

/** Warehouse identifiers (namespaces, schemas, catalogs): lower-case, start with a letter, 3-63 characters. */
export const IDENTIFIER_PATTERN = /^[a-z][a-z0-9_]{2,62}$/;
/** What namespaceForTenantSeq makes: `t_` and the sequence number in base 36, at least 6 digits. */
export const NAMESPACE_PATTERN = /^t_[0-9a-z]{6,12}$/;

/**
 * The tenant's immutable warehouse namespace, from its sequence number in Postgres.
 * Never built from request input: callers pass the number stored with the tenant.
 */
export function namespaceForTenantSeq(seq: number): string {
  if (!Number.isSafeInteger(seq) || seq < 1) {
    throw new TenancyError('TENANT_SEQUENCE_INVALID', `invalid tenant sequence number: ${seq}`, { seq });
  }
  return `t_${seq.toString(36).padStart(6, '0')}`;
}

export function isIdentifier(value: unknown): value is string {
  return typeof value === 'string' && IDENTIFIER_PATTERN.test(value);
}

/** A namespace as namespaceForTenantSeq makes them (and so also a valid identifier). */
export function isTenantNamespace(value: unknown): value is string {
  return typeof value === 'string' && NAMESPACE_PATTERN.test(value) && IDENTIFIER_PATTERN.test(value);
}

export function assertIdentifier(identifier: string): string {
  if (!isIdentifier(identifier)) {
    throw new TenancyError('IDENTIFIER_INVALID', `refusing unsafe warehouse identifier ${JSON.stringify(identifier)}`);
  }
  return identifier;
}
