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
      this.prisma.membership.findMany({ where: { tenantId: tenant.tenantId }, select: { lmsUserId: true, user: { select: { email: true } } } }),
      this.invitations.pending(tenant.tenantId),
    ]);
    const memberLms = new Set(members.flatMap((m) => (m.lmsUserId === null ? [] : [Number(m.lmsUserId)])));
    const memberEmails = new Set(members.map((m) => m.user.email));
    const invitedEmails = new Set(pending.map((i) => i.email));

    const result = { managers: rows.length, alreadyMembers: 0, alreadyInvited: 0, withoutEmail: 0, sharedEmail: 0 };
    const toInvite: InviteInput[] = [];
    const names: (string | null)[] = [];
    const chosen = new Set<string>();
    for (const row of rows) {
      const lmsUserId = Number(row.user_id);
      const email = usableEmail(row.email);
      if (memberLms.has(lmsUserId) || (email && memberEmails.has(email))) result.alreadyMembers++;
      else if (!email) result.withoutEmail++;
      else if (invitedEmails.has(email)) result.alreadyInvited++;
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
