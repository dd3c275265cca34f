import { AuditLog, dbCall, isUuid, lockSeats, Prisma, type PrismaClient, type TenantRole } from '@kineo/db';
import { AuthError } from './auth.exception';
import { assertTenantUsable, type AuthService, type LoginOrigin, type LoginResult } from './auth.service';
import { assertEmail } from './email.util';
import type { LinkDelivery, LinkMailer } from './link-mailer.service';
import { hashOpaqueToken, newOpaqueToken } from './opaque-token.util';
import { hashPassword, verifyPassword } from './password.util';
import { assertSeats } from './seat-limit.util';
import { assertTenantGrant } from './user.service';

export const INVITATION_TTL_SECONDS = 7 * 24 * 3600;

export interface InviteInput {
  email: string;
  role: string;
  lmsUserId?: number;
  /** LMS organisations a viewer will see (each with everything below it). */
  organisationIds?: number[];
}

export interface SentInvitation {
  id: string;
  email: string;
  role: TenantRole;
  /** The LMS organisations a viewer invitation grants once accepted; empty for other roles. */
  organisationIds: number[];
  expiresAt: Date;
  /** The accept link; shown to the admin so it can be passed on when nothing was mailed. */
  link: string;
  delivery: LinkDelivery;
}

/** Who acts, and for which tenant: from the verified session of an org admin. */
export interface AdminActor {
  userId: string;
  tenantId: string;
}

function invitationInvalid(): AuthError {
  return new AuthError('INVITATION_INVALID', 'This invitation link is not valid: it was already used, revoked, replaced by a newer one or has expired. Ask your administrator for a new one.');
}

export function assertOrganisationIds(ids: number[], role: string): bigint[] {
  for (const id of ids) {
    if (!Number.isSafeInteger(id) || id < 1) throw new AuthError('USER_INPUT_INVALID', `An LMS organisation id must be a positive whole number, got ${id}.`);
  }
  if (ids.length > 0 && role !== 'viewer') {
    throw new AuthError('USER_INPUT_INVALID', `Organisations are granted to viewers only; a ${role} sees ${role === 'org_admin' ? 'the whole organisation' : 'their reports'} anyway.`);
  }
  return [...new Set(ids)].sort((a, b) => a - b).map(BigInt);
}

/** Invitations to a tenant: one-time links, stored as hashes, that create (or link) an account and its membership. */
export class InvitationService {
  private readonly audit: AuditLog;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly auth: AuthService,
    private readonly mailer: LinkMailer,
    private readonly portalUrl: string,
  ) {
    this.audit = new AuditLog(prisma);
  }

  private link(token: string): string {
    return `${this.portalUrl.replace(/\/+$/, '')}/accept-invitation?token=${token}`;
  }

  /** Invites one person; see `inviteMany`. */
  async invite(actor: AdminActor, input: InviteInput): Promise<SentInvitation> {
    const [sent] = await this.inviteMany(actor, [input]);
    return sent;
  }

  /**
   * Invites several people at once, all or none: each must be new to the tenant, and together they
   * must fit in the plan's seats (PLAN_LIMIT otherwise). A pending invitation to the same address
   * is replaced, so only the newest link works.
   */
  async inviteMany(actor: AdminActor, inputs: InviteInput[], source = 'invite'): Promise<SentInvitation[]> {
    const checked = inputs.map((input) => {
      const email = assertEmail(input.email);
      assertTenantGrant(input.role, input.lmsUserId);
      return { email, role: input.role, lmsUserId: input.lmsUserId, organisationIds: assertOrganisationIds(input.organisationIds ?? [], input.role) };
    });
    const tenant = await dbCall(() => this.prisma.tenant.findUniqueOrThrow({ where: { id: actor.tenantId } }));
    assertTenantUsable(tenant);
    const expiresAt = new Date(Date.now() + INVITATION_TTL_SECONDS * 1000);

    const created = await dbCall(() =>
      this.prisma.$transaction(async (tx) => {
        const emails = checked.map((c) => c.email);
        const members = await tx.membership.findMany({ where: { tenantId: tenant.id, user: { email: { in: emails } } }, include: { user: true } });
        if (members.length > 0) {
          const list = members.map((m) => `${m.user.email} (${m.role}${m.deactivatedAt ? ', deactivated' : ''})`).join(', ');
          const what = members.some((m) => m.deactivatedAt) ? 'Reactivate them or change their role' : 'Change their role';
          throw new AuthError('USER_EXISTS', `Already in ${tenant.name}: ${list}. ${what} instead of inviting them.`, { emails: members.map((m) => m.user.email) });
        }
        // Counted before the pending invitations they replace are withdrawn: re-sending one takes no new seat, even over the limit.
        await lockSeats(tx, tenant.id);
        const replacing = await tx.invitation.count({ where: { tenantId: tenant.id, email: { in: emails }, status: 'pending', expiresAt: { gt: new Date() } } });
        await assertSeats(tx, tenant.id, { kind: 'invitations', count: checked.length - replacing });
        const replaced = await tx.invitation.updateMany({ where: { tenantId: tenant.id, email: { in: emails }, status: 'pending' }, data: { status: 'revoked' } });
        const rows = [];
        for (const c of checked) {
          const token = newOpaqueToken();
          const row = await tx.invitation.create({
            data: {
              tenantId: tenant.id,
              email: c.email,
              role: c.role,
              lmsUserId: c.lmsUserId === undefined ? null : BigInt(c.lmsUserId),
              organisationIds: c.organisationIds,
              tokenHash: hashOpaqueToken(token),
              invitedById: actor.userId,
              expiresAt,
            },
          });
          rows.push({ row, token });
        }
        await tx.auditEvent.create({
          data: {
            actor: actor.userId,
            action: 'user.invited',
            tenantId: tenant.id,
            details: {
              source,
              replacedPending: replaced.count,
              invitations: checked.map((c) => ({ email: c.email, role: c.role, lmsUserId: c.lmsUserId ?? null, organisationIds: c.organisationIds.map(Number) })),
            },
          },
        });
        return rows;
      }),
    );

    const sent: SentInvitation[] = [];
    for (const { row, token } of created) {
      const link = this.link(token);
      const delivery = await this.mailer.deliver({
        kind: 'invitation',
        to: row.email,
        subject: `You are invited to ${tenant.name} on Kineo Analytics`,
        text: `You have been invited to ${tenant.name} on Kineo Analytics as ${row.role.replace('_', ' ')}.\n\nAccept the invitation (the link works once, for 7 days):\n${link}\n`,
        link,
      });
      sent.push({ id: row.id, email: row.email, role: row.role, organisationIds: row.organisationIds.map(Number), expiresAt: row.expiresAt, link, delivery });
    }
    return sent;
  }

  /**
   * Accepts an invitation: creates the account (or, for an address that already has one, links it
   * after checking its current password), the membership and a viewer's grants, then signs in.
   */
  /**
   * The address of the account an acceptance of this link must give the current password of: the
   * invitation's, when it is pending and an account with a password has it; null otherwise (a new
   * account, or a link that is no good). The gateway counts wrong passwords given here against that
   * account's sign-in lock, as it does sign-in's, so an invitation is no way round it.
   */
  async existingAccountFor(token: string): Promise<string | null> {
    const invitation = await dbCall(() => this.prisma.invitation.findUnique({ where: { tokenHash: hashOpaqueToken(token) }, select: { email: true, status: true } }));
    if (!invitation || invitation.status !== 'pending') return null;
    const user = await dbCall(() => this.prisma.user.findUnique({ where: { email: invitation.email }, select: { passwordHash: true } }));
    return user?.passwordHash ? invitation.email : null;
  }

  async accept(token: string, password: string, displayName: string | undefined, origin: LoginOrigin = {}): Promise<LoginResult> {
    const invitation = await dbCall(() => this.prisma.invitation.findUnique({ where: { tokenHash: hashOpaqueToken(token) }, include: { tenant: true } }));
    if (!invitation || invitation.status !== 'pending') throw invitationInvalid();
    if (invitation.expiresAt <= new Date()) {
      await dbCall(() => this.prisma.invitation.update({ where: { id: invitation.id }, data: { status: 'expired' } }));
      throw invitationInvalid();
    }
    assertTenantUsable(invitation.tenant);
    const existing = await dbCall(() => this.prisma.user.findUnique({ where: { email: invitation.email } }));
    if (existing?.status === 'disabled') throw new AuthError('FORBIDDEN', 'This account is disabled. Contact Kineo support.');
    let passwordHash: string | undefined;
    if (existing?.passwordHash) {
      if (!(await verifyPassword(existing.passwordHash, password))) {
        throw new AuthError('UNAUTHENTICATED', `${invitation.email} already has a Kineo account: enter its current password to add this organisation to it.`);
      }
    } else {
      passwordHash = await hashPassword(password);
    }
    const name = displayName?.trim() || undefined;

    const membership = await dbCall(async () => {
      try {
        return await this.prisma.$transaction(async (tx) => {
          // Claimed first, conditionally, so one link cannot be accepted twice at once.
          const claimed = await tx.invitation.updateMany({ where: { id: invitation.id, status: 'pending' }, data: { status: 'accepted', acceptedAt: new Date() } });
          if (claimed.count !== 1) throw invitationInvalid();
          await assertSeats(tx, invitation.tenantId, { kind: 'acceptance', organisation: invitation.tenant.name });
          const user = existing
            ? await tx.user.update({
                where: { id: existing.id },
                data: { status: 'active', ...(passwordHash ? { passwordHash } : {}), ...(name && !existing.displayName ? { displayName: name } : {}) },
              })
            : await tx.user.create({ data: { email: invitation.email, displayName: name ?? null, passwordHash: passwordHash!, status: 'active' } });
          const created = await tx.membership.create({
            data: {
              userId: user.id,
              tenantId: invitation.tenantId,
              role: invitation.role,
              lmsUserId: invitation.lmsUserId,
              viewerGrants: { create: invitation.organisationIds.map((organisationId) => ({ organisationId })) },
            },
            include: { tenant: true },
          });
          await tx.auditEvent.create({
            data: { actor: user.id, action: 'invitation.accepted', tenantId: invitation.tenantId, details: { invitationId: invitation.id, email: invitation.email, role: invitation.role, newAccount: !existing } },
          });
          return created;
        });
      } catch (error) {
        if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') {
          throw new AuthError('USER_EXISTS', `${invitation.email} is already a member of ${invitation.tenant.name}; sign in instead.`);
        }
        throw error;
      }
    });
    return this.auth.openSession(membership.userId, membership, 'invitation', origin);
  }

  /** Pending invitations of a tenant, newest first. */
  pending(tenantId: string) {
    return dbCall(() => this.prisma.invitation.findMany({ where: { tenantId, status: 'pending', expiresAt: { gt: new Date() } }, orderBy: { createdAt: 'desc' } }));
  }

  async revoke(actor: AdminActor, invitationId: string): Promise<void> {
    const result = isUuid(invitationId)
      ? await dbCall(() => this.prisma.invitation.updateMany({ where: { id: invitationId, tenantId: actor.tenantId, status: 'pending' }, data: { status: 'revoked' } }))
      : { count: 0 };
    if (result.count !== 1) throw new AuthError('NOT_FOUND', `No pending invitation ${invitationId} in this organisation.`);
    await this.audit.record({ actor: actor.userId, action: 'invitation.revoked', tenantId: actor.tenantId, details: { invitationId } });
  }
}
