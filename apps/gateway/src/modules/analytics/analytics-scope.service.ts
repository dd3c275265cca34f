import { Inject, Injectable } from '@nestjs/common';
import type { AnalyticsScope } from '@kineo/analytics';
import type { TenantContext } from '@kineo/auth';
import type { PrismaClient } from '@kineo/db';
import { DomainError } from '@kineo/errors';
import { PRISMA } from '../../engine/database/database.module';

export type ManagerReach = 'all' | 'direct';

/**
 * The one place a caller's analytics scope comes from: their verified TenantContext (role and
 * linked LMS user) and, for a viewer, the grants an org admin stored in Postgres. Nothing the caller
 * sends widens it; `reach` only narrows a manager's view to their direct reports.
 */
@Injectable()
export class AnalyticsScopeService {
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}

  async scopeOf(tenant: TenantContext, reach: ManagerReach = 'all'): Promise<AnalyticsScope> {
    if (tenant.role === 'manager' && tenant.lmsUserId === null) {
      throw new DomainError(
        'MANAGER_NOT_LINKED',
        'Your manager account is not linked to an LMS user, so there are no reports to show. Ask your organisation admin to link it to your LMS user.',
      );
    }
    if (tenant.role !== 'viewer') return scopeOfContext(tenant, reach)!;
    const grants = await this.prisma.viewerGrant.findMany({
      where: { membership: { userId: tenant.userId, tenantId: tenant.tenantId } },
      select: { organisationId: true },
      orderBy: { organisationId: 'asc' },
    });
    return { kind: 'viewer', organisationIds: grants.map((g) => Number(g.organisationId)) };
  }
}

/**
 * The scope when the tenant context alone decides it (an org admin, a linked manager); undefined
 * for a viewer (whose grants are in Postgres) and an unlinked manager (refused by `scopeOf`).
 */
export function scopeOfContext(tenant: Pick<TenantContext, 'role' | 'lmsUserId'>, reach: ManagerReach): AnalyticsScope | undefined {
  if (tenant.role === 'org_admin') return { kind: 'tenant' };
  if (tenant.role === 'manager' && tenant.lmsUserId !== null) return { kind: 'manager', managerUserId: tenant.lmsUserId, reach };
  return undefined;
}
