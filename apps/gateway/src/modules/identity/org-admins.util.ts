import type { PrismaClient } from '@kineo/db';

/**
 * The organisation admins of a tenant who can act: not deactivated there, their account active.
 * While there are none, Kineo ops may invite one (`inviteTenantAdmin`); once there are, they invite.
 */
export function activeOrgAdmins(prisma: Pick<PrismaClient, 'membership'>, tenantId: string): Promise<number> {
  return prisma.membership.count({ where: { tenantId, role: 'org_admin', deactivatedAt: null, user: { status: 'active' } } });
}
