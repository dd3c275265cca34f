import { isIdentifier, isTenantNamespace } from '@kineo/tenancy';
import { WarehouseError } from './errors';
import type { TenantNamespace } from './types';

// Tenant naming lives in @kineo/tenancy; re-exported so the drivers' callers keep one import.
export { IDENTIFIER_PATTERN, namespaceForTenantSeq } from '@kineo/tenancy';

/** An identifier the drivers put into SQL, refused as a WarehouseError like every other driver input. */
export function assertIdentifier(identifier: string): string {
  if (!isIdentifier(identifier)) {
    throw new WarehouseError('WAREHOUSE_IDENTIFIER_INVALID', `refusing unsafe warehouse identifier ${JSON.stringify(identifier)}`);
  }
  return identifier;
}

/** Checked at every driver entry point, before any SQL or file path is built from it. */
export function assertTenant(tenant: TenantNamespace): TenantNamespace {
  if (!tenant || !isTenantNamespace(tenant.namespace)) {
    throw new WarehouseError(
      'WAREHOUSE_IDENTIFIER_INVALID',
      `refusing forged or malformed tenant namespace ${JSON.stringify(tenant?.namespace)}`,
    );
  }
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
