import { Inject, Injectable } from '@nestjs/common';
import { assertEmail, InvitationService, type InviteInput, type TenantContext } from '@kineo/auth';
import { AuditLog, type PrismaClient } from '@kineo/db';
import { DomainError } from '@kineo/errors';
import type { Warehouse } from '@kineo/warehouse';
import { PRISMA } from '../../engine/database/database.module';
import { WAREHOUSE } from '../../engine/warehouse/warehouse.module';
import type { InvitationType, ManagerInvitationsType } from './identity.types';

type ManagerRow = { user_id: number | bigint; email: string; full_name: string | null };

// Managers are LMS users someone reports to directly; dim_user's unknown member (-1) is no one.
const MANAGERS_SQL = `select u.user_id, u.email, u.full_name
from gold.dim_user u
where u.user_key > 0 and u.is_active
  and exists (select 1 from gold.dim_manager_relationship r where r.manager_user_key = u.user_key and r.relationship = 'direct')
order by u.user_id`;

function usableEmail(email: string): string | undefined {
  try {
    return assertEmail(email);
  } catch {
    return undefined;
  }
}

/** The LMS user ids that manager memberships or invitations are linked to. */
function linkedManagers(people: { role: string; lmsUserId: bigint | null }[]): Set<number> {
  return new Set(people.flatMap((p) => (p.role === 'manager' && p.lmsUserId !== null ? [Number(p.lmsUserId)] : [])));
}

/** "Give every manager in the hierarchy access": manager invitations from the tenant's published gold. */
@Injectable()
export class ManagerInvitationsService {
  constructor(
    @Inject(WAREHOUSE) private readonly warehouse: Warehouse,
    @Inject(PRISMA) private readonly prisma: PrismaClient,
    private readonly invitations: InvitationService,
  ) {}

  async inviteAll(tenant: TenantContext): Promise<ManagerInvitationsType> {
    const ref = { tenantId: tenant.tenantId, namespace: tenant.namespace };
    if ((await this.warehouse.publishedVersion(ref)) === null) {
      throw new DomainError('NO_PUBLISHED_DATA', 'There is no published data yet, so no hierarchy to find managers in. Upload an LMS export first.');
    }
    const { rows } = await this.warehouse.queryPublished<ManagerRow>(ref, MANAGERS_SQL);
    const [members, pending] = await Promise.all([
      this.prisma.membership.findMany({ where: { tenantId: tenant.tenantId }, select: { role: true, lmsUserId: true, deactivatedAt: true, user: { select: { email: true } } } }),
      this.invitations.pending(tenant.tenantId),
    ]);
    // Only an active manager's link gives them that LMS person's reports (an org admin sees everyone's); an
    // invitation under another address for the same person would make a second manager of them.
    const active = members.filter((m) => m.deactivatedAt === null);
    const deactivated = members.filter((m) => m.deactivatedAt !== null);
    const managing = linkedManagers(active);
    // A deactivated member cannot sign in, yet is not invited again: letting them back is the admin's call.
    const managingWhenReactivated = linkedManagers(deactivated);
    const deactivatedEmails = new Set(deactivated.map((m) => m.user.email));
    const invitedManagers = linkedManagers(pending);
    const memberRoles = new Map(active.map((m) => [m.user.email, m.role]));
    const invitedEmails = new Set(pending.map((i) => i.email));

    const result = { managers: rows.length, alreadyMembers: 0, deactivatedMembers: 0, membersWithOtherAccess: 0, alreadyInvited: 0, withoutEmail: 0, sharedEmail: 0 };
    const toInvite: InviteInput[] = [];
    const names: (string | null)[] = [];
    const chosen = new Set<string>();
    for (const row of rows) {
      const lmsUserId = Number(row.user_id);
      const email = usableEmail(row.email);
      const roleAtAddress = email ? memberRoles.get(email) : undefined;
      if (managing.has(lmsUserId) || roleAtAddress === 'org_admin') result.alreadyMembers++;
      else if (managingWhenReactivated.has(lmsUserId) || (email && deactivatedEmails.has(email))) result.deactivatedMembers++;
      // A member cannot be invited again: their role is changed instead.
      else if (roleAtAddress) result.membersWithOtherAccess++;
      else if (invitedManagers.has(lmsUserId) || (email && invitedEmails.has(email))) result.alreadyInvited++;
      else if (!email) result.withoutEmail++;
      else if (chosen.has(email)) result.sharedEmail++;
      else {
        chosen.add(email);
        toInvite.push({ email, role: 'manager', lmsUserId });
        names.push(row.full_name || null);
      }
    }
    const sent = toInvite.length > 0 ? await this.invitations.inviteMany({ userId: tenant.userId, tenantId: tenant.tenantId }, toInvite, 'invite_all_managers') : [];
    const invitations: InvitationType[] = sent.map((s, i) => ({ ...s, lmsUserId: toInvite[i].lmsUserId ?? null, lmsUserName: names[i] }));
    // Recorded even when nobody was new, so the log shows the action was taken and what it found.
    await new AuditLog(this.prisma).record({ actor: tenant.userId, action: 'user.invite_all_managers', tenantId: tenant.tenantId, details: { ...result, invited: sent.length } });
    return { ...result, invited: sent.length, invitations };
  }
}
