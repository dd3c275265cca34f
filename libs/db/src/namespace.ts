/** Warehouse identifiers: lower-case, start with a letter, at most 63 characters. */
export const IDENTIFIER_PATTERN = /^[a-z][a-z0-9_]{2,62}$/;

/**
 * The tenant's immutable warehouse namespace, from its sequence number in Postgres.
 * Never built from request input: callers pass the number stored with the tenant.
 */
export function namespaceForTenantSeq(seq: number): string {
  if (!Number.isSafeInteger(seq) || seq < 1) throw new Error(`invalid tenant sequence number: ${seq}`);
  return `t_${seq.toString(36).padStart(6, '0')}`;
}

export function assertIdentifier(identifier: string): string {
  if (!IDENTIFIER_PATTERN.test(identifier)) {
    throw new Error(`refusing unsafe warehouse identifier: ${JSON.stringify(identifier)}`);
  }
  return identifier;
}
