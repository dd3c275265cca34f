import { dbCall, isUuid, type PrismaClient, type TenantRole } from '@kineo/db';
import { AuthError } from './auth.exception';
import { assertOrganisationIds, type AdminActor } from './invitation.service';
import { assertSeats, seatUsage, type SeatUsage } from './seat-limit.util';
import type { SessionStore } from './session-store.service';
import { assertTenantGrant } from './user.service';

export type MemberStatus = 'active' | 'deactivated' | 'disabled';

/** A person in a tenant, as the org admin's user list shows them. */
export interface TenantMember {
  membershipId: string;
  userId: string;
  email: string;
  displayName: string | null;
  role: TenantRole;
  lmsUserId: number | null;
  /** `deactivated` in this organisation by its admin; `disabled` everywhere by Kineo. */
  status: MemberStatus;
  lastSignInAt: Date | null;
  /** A viewer's granted LMS organisations. */
  organisationIds: number[];
  memberSince: Date;
}

/** A member's account as `TenantUserService.account` reads it. */
export interface MemberAccount {
  membershipId: string;
  userId: string;
  email: string;
  /** The account's own status ('active', 'invited', 'disabled'), whatever the membership's. */
  accountStatus: string;
  /** Deactivated in this organisation by its admin. */
  deactivated: boolean;
  /** Another organisation's membership, or Kineo ops. */
  reachesBeyond: boolean;
}

const memberInclude = { user: true, viewerGrants: { orderBy: { organisationId: 'asc' } } } as const;

/** What an org admin does to the people of their own organisation; every change is audited. */
export class TenantUserService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly sessions: SessionStore,
  ) {}

  async list(tenantId: string): Promise<TenantMember[]> {
    const rows = await dbCall(() => this.prisma.membership.findMany({ where: { tenantId }, include: memberInclude, orderBy: { user: { email: 'asc' } } }));
    return rows.map((m) => this.member(m));
  }

  /**
   * A member's account, for what acts on the account itself rather than the membership (a password
   * reset): its status, and whether it reaches beyond this organisation (another membership, Kineo ops).
   */
  async account(actor: AdminActor, membershipId: string): Promise<MemberAccount> {
    const m = await this.find(actor, membershipId);
    const elsewhere = await dbCall(() => this.prisma.membership.count({ where: { userId: m.userId, tenantId: { not: actor.tenantId } } }));
    return {
      membershipId: m.id,
      userId: m.userId,
      email: m.user.email,
      accountStatus: m.user.status,
      deactivated: m.deactivatedAt !== null,
      reachesBeyond: m.user.platformRole !== 'none' || elsewhere > 0,
    };
  }

  /** The seats the organisation's plan has and how many its members and pending invitations take. */
  async seats(tenantId: string): Promise<SeatUsage> {
    return dbCall(() => seatUsage(this.prisma, tenantId));
  }

  async changeRole(actor: AdminActor, membershipId: string, role: string, lmsUserId?: number): Promise<TenantMember> {
    const current = await this.find(actor, membershipId);
    this.refuseSelf(actor, current.userId, 'change your own role');
    // The link is whose reports a manager sees, and means nothing to another role: it goes with the
    // manager role, so a former manager is no longer taken for that LMS person (inviteAllManagers).
    const lms = lmsUserId ?? (role === 'manager' && current.lmsUserId !== null ? Number(current.lmsUserId) : undefined);
    assertTenantGrant(role, lms);
    const updated = await dbCall(() =>
      this.prisma.$transaction(async (tx) => {
        // Grants only mean something to a viewer; leaving them behind would revive them on a later demotion.
        if (role !== 'viewer') await tx.viewerGrant.deleteMany({ where: { membershipId } });
        const saved = await tx.membership.update({ where: { id: membershipId }, data: { role, lmsUserId: lms === undefined ? null : BigInt(lms) }, include: memberInclude });
        await tx.auditEvent.create({
          data: { actor: actor.userId, action: 'user.role_changed', tenantId: actor.tenantId, details: { membershipId, email: current.user.email, from: current.role, to: role, lmsUserId: lms ?? null } },
        });
        return saved;
      }),
    );
    return this.member(updated);
  }

  /** Takes the person out of this organisation and ends their sessions in it; their account and other organisations stay. */
  async deactivate(actor: AdminActor, membershipId: string): Promise<TenantMember> {
    const current = await this.find(actor, membershipId);
    this.refuseSelf(actor, current.userId, 'deactivate yourself');
    const updated = await dbCall(() =>
      this.prisma.$transaction(async (tx) => {
        const saved = await tx.membership.update({ where: { id: membershipId }, data: { deactivatedAt: current.deactivatedAt ?? new Date() }, include: memberInclude });
        await tx.auditEvent.create({ data: { actor: actor.userId, action: 'user.deactivated', tenantId: actor.tenantId, details: { membershipId, email: current.user.email } } });
        return saved;
      }),
    );
    await this.sessions.revokeAllOf(current.userId, 'deactivated', actor.tenantId);
    return this.member(updated);
  }

  async reactivate(actor: AdminActor, membershipId: string): Promise<TenantMember> {
    const current = await this.find(actor, membershipId);
    if (!current.deactivatedAt) return this.member(current);
    const updated = await dbCall(() =>
      this.prisma.$transaction(async (tx) => {
        await assertSeats(tx, actor.tenantId, { kind: 'reactivation' });
        const saved = await tx.membership.update({ where: { id: membershipId }, data: { deactivatedAt: null }, include: memberInclude });
        await tx.auditEvent.create({ data: { actor: actor.userId, action: 'user.reactivated', tenantId: actor.tenantId, details: { membershipId, email: current.user.email } } });
        return saved;
      }),
    );
    return this.member(updated);
  }

  /** Sets the LMS organisations a viewer sees (each with everything below it), replacing what they had. */
  async grantViewerOrganisations(actor: AdminActor, membershipId: string, organisationIds: number[]): Promise<TenantMember> {
    const current = await this.find(actor, membershipId);
    if (current.role !== 'viewer') {
      throw new AuthError('USER_INPUT_INVALID', `${current.user.email} is ${current.role}, not a viewer; only viewers are granted organisations.`);
    }
    const ids = assertOrganisationIds(organisationIds, 'viewer');
    const updated = await dbCall(() =>
      this.prisma.$transaction(async (tx) => {
        await tx.viewerGrant.deleteMany({ where: { membershipId } });
        await tx.viewerGrant.createMany({ data: ids.map((organisationId) => ({ membershipId, organisationId })) });
        await tx.auditEvent.create({
          data: {
            actor: actor.userId,
            action: 'user.viewer_organisations_granted',
            tenantId: actor.tenantId,
            details: { membershipId, email: current.user.email, from: current.viewerGrants.map((g) => Number(g.organisationId)), to: ids.map(Number) },
          },
        });
        return tx.membership.findUniqueOrThrow({ where: { id: membershipId }, include: memberInclude });
      }),
    );
    return this.member(updated);
  }

  private async find(actor: AdminActor, membershipId: string) {
    const membership = isUuid(membershipId)
      ? await dbCall(() => this.prisma.membership.findFirst({ where: { id: membershipId, tenantId: actor.tenantId }, include: memberInclude }))
      : null;
    // Another tenant's membership, or an id that cannot be one, is reported exactly like a missing one.
    if (!membership) throw new AuthError('NOT_FOUND', `No member ${membershipId} in this organisation.`, { membershipId });
    return membership;
  }

  private refuseSelf(actor: AdminActor, userId: string, what: string): void {
    if (actor.userId === userId) throw new AuthError('FORBIDDEN', `You cannot ${what}; ask another org admin.`);
  }

  private member(m: Awaited<ReturnType<TenantUserService['find']>>): TenantMember {
    return {
      membershipId: m.id,
      userId: m.userId,
      email: m.user.email,
      displayName: m.user.displayName,
      role: m.role,
      lmsUserId: m.lmsUserId === null ? null : Number(m.lmsUserId),
      status: m.user.status === 'disabled' ? 'disabled' : m.deactivatedAt ? 'deactivated' : 'active',
      lastSignInAt: m.user.lastLoginAt,
      organisationIds: m.viewerGrants.map((g) => Number(g.organisationId)),
      memberSince: m.createdAt,
    };
  }
}
