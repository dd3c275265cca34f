import type { TenantRole } from '@kineo/db';

export const TENANT_ROLES = ['org_admin', 'manager', 'viewer'] as const satisfies readonly TenantRole[];
export const OPS_ROLE = 'kineo_ops';

/** A role in one tenant, or Kineo ops outside every tenant. */
export type SessionRole = TenantRole | typeof OPS_ROLE;
export const SESSION_ROLES = [...TENANT_ROLES, OPS_ROLE] as const satisfies readonly SessionRole[];

/**
 * The tenant a request acts for, resolved once from the verified session and Postgres, then passed
 * explicitly to every service that touches tenant data.
 */
export interface TenantContext {
  tenantId: string;
  /** The tenant's warehouse namespace, checked against the identifier pattern. */
  namespace: string;
  dataVersion: number;
  role: TenantRole;
  /** The LMS user a manager's dashboards are scoped to; null when the membership has none. */
  lmsUserId: number | null;
  userId: string;
}

/** Who is calling, from a verified session whose user, membership and tenant are still valid. */
export interface Principal {
  userId: string;
  email: string;
  displayName: string | null;
  role: SessionRole;
  expiresAt: Date;
  /** The sign-in the token belongs to; `logout` revokes it. */
  sessionId: string;
  /** Null for a platform (Kineo ops) session. */
  context: TenantContext | null;
  /**
   * `locale`: the BCP 47 tag the tenant's numbers and dates are shown in; `fiscalYearStartMonth`:
   * 1-12, the month its fiscal year starts in (as set now; a build applies it to the data).
   */
  tenant: { id: string; slug: string; name: string; locale: string; fiscalYearStartMonth: number } | null;
}
