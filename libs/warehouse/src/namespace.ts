import { WarehouseError } from './errors';
import type { TenantNamespace } from './types';

/** Warehouse identifiers: lower-case, start with a letter, 3-63 characters. */
export const IDENTIFIER_PATTERN = /^[a-z][a-z0-9_]{2,62}$/;
const NAMESPACE_PATTERN = /^t_[0-9a-z]{6,12}$/;

/**
 * The tenant's immutable warehouse namespace, from its sequence number in Postgres.
 * Never built from request input: callers pass the number stored with the tenant.
 */
export function namespaceForTenantSeq(seq: number): string {
  if (!Number.isSafeInteger(seq) || seq < 1) {
    throw new WarehouseError('WAREHOUSE_IDENTIFIER_INVALID', `invalid tenant sequence number: ${seq}`);
  }
  return `t_${seq.toString(36).padStart(6, '0')}`;
}

export function assertIdentifier(identifier: string): string {
  if (typeof identifier !== 'string' || !IDENTIFIER_PATTERN.test(identifier)) {
    throw new WarehouseError('WAREHOUSE_IDENTIFIER_INVALID', `refusing unsafe warehouse identifier ${JSON.stringify(identifier)}`);
  }
  return identifier;
}

/** Checked at every driver entry point, before any SQL or file path is built from it. */
export function assertTenant(tenant: TenantNamespace): TenantNamespace {
  if (!tenant || typeof tenant.namespace !== 'string' || !NAMESPACE_PATTERN.test(tenant.namespace)) {
    throw new WarehouseError(
      'WAREHOUSE_IDENTIFIER_INVALID',
      `refusing forged or malformed tenant namespace ${JSON.stringify(tenant?.namespace)}`,
    );
  }
  assertIdentifier(tenant.namespace);
  return tenant;
}

const STAGED_SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** A staged file's name: up to four relative path segments of safe characters, never `..`. */
export function assertStagedName(name: string): string {
  const segments = typeof name === 'string' ? name.split('/') : [];
  if (segments.length === 0 || segments.length > 4 || !segments.every((s) => STAGED_SEGMENT.test(s) && !/^\.+$/.test(s))) {
    throw new WarehouseError('WAREHOUSE_IDENTIFIER_INVALID', `refusing unsafe staged file name ${JSON.stringify(name)}`);
  }
  return name;
}
