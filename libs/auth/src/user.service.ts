import { assertSeatAvailable, dbCall, Prisma, TenantService, type PrismaClient, type TenantRole } from '@kineo/db';
import { AuthError } from './auth.exception';
import { assertEmail } from './email.util';
import { assertPasswordPolicy, hashPassword } from './password.util';
import { OPS_ROLE, TENANT_ROLES } from './tenant-context.types';

/** What a new account is given: a role in one tenant, or Kineo ops (outside every tenant). */
export type UserGrant = { tenantSlug: string; role: TenantRole; lmsUserId?: number } | { ops: true };

export interface CreateUserInput {
  email: string;
  password: string;
  displayName?: string;
  grant: UserGrant;
  /** Who asked, for the audit log. */
  actor: string;
}

export interface UserSummary {
  id: string;
  email: string;
  displayName: string | null;
  status: string;
  platformRole: string;
  lastLoginAt: Date | null;
  createdAt: Date;
  memberships: { tenant: string; role: TenantRole; lmsUserId: number | null }[];
}

export interface CreateUserResult {
  user: UserSummary;
  /** False when the email already had an account and only the grant was added (a password it had is kept). */
  created: boolean;
}

/** Checks what can be checked without the database, so a bad request fails before anything else. */
export function validateNewUser(input: Pick<CreateUserInput, 'email' | 'password' | 'grant'>): string {
  const email = assertEmail(input.email);
  assertPasswordPolicy(input.password);
  if ('tenantSlug' in input.grant) assertTenantGrant(input.grant.role, input.grant.lmsUserId);
  return email;
}

/** A role in a tenant and the LMS user it is linked to, checked together. */
export function assertTenantGrant(role: string, lmsUserId: number | undefined): asserts role is TenantRole {
  if (!(TENANT_ROLES as readonly string[]).includes(role)) {
    throw new AuthError('USER_INPUT_INVALID', `Unknown role "${role}"; use one of ${TENANT_ROLES.join(', ')}.`);
  }
  if (lmsUserId !== undefined && (!Number.isSafeInteger(lmsUserId) || lmsUserId < 1)) {
    throw new AuthError('USER_INPUT_INVALID', `The LMS user id must be a positive whole number, got ${lmsUserId}.`);
  }
  // A manager's dashboards show their reports in the LMS; without the link they would show nothing.
  if (role === 'manager' && lmsUserId === undefined) {
    throw new AuthError('USER_INPUT_INVALID', "A manager needs the LMS user id their reports hang under (the LMS's user id).");
  }
  if (role !== 'manager' && lmsUserId !== undefined) {
    throw new AuthError('USER_INPUT_INVALID', `Only a manager is linked to an LMS user (the one their reports hang under); a ${role} is not, so leave the LMS user id out.`);
  }
}

const withMemberships = { memberships: { include: { tenant: { select: { slug: true } } }, orderBy: { createdAt: 'asc' } } } as const;

type UserRow = Prisma.UserGetPayload<{ include: typeof withMemberships }>;

function summarize(user: UserRow): UserSummary {
  return {
    id: user.id,
    email: user.email,
    displayName: user.displayName,
    status: user.status,
    platformRole: user.platformRole,
    lastLoginAt: user.lastLoginAt,
    createdAt: user.createdAt,
    memberships: user.memberships.map((m) => ({
      tenant: m.tenant.slug,
      role: m.role,
      lmsUserId: m.lmsUserId === null ? null : Number(m.lmsUserId),
    })),
  };
}

/** Accounts as ops and the CLI manage them. */
export class UserService {
  constructor(private readonly prisma: PrismaClient) {}

  /**
   * Creates an active account with a password and its grant. For an email that already has an
   * account, adds the grant instead and leaves the password alone; a grant it already has is refused.
   */
  async create(input: CreateUserInput): Promise<CreateUserResult> {
    const email = validateNewUser(input);
    const grant = input.grant;
    const tenant = 'tenantSlug' in grant ? await new TenantService(this.prisma).get(grant.tenantSlug) : undefined;
    if (tenant?.status === 'offboarded') {
      throw new AuthError('USER_INPUT_INVALID', `The tenant "${tenant.slug}" is offboarded; it takes no new users.`);
    }
    const passwordHash = await hashPassword(input.password);
    const details = {
      email,
      ...(tenant && 'role' in grant ? { tenant: tenant.slug, role: grant.role, lmsUserId: grant.lmsUserId ?? null } : { platformRole: OPS_ROLE }),
    };

    return dbCall(async () => {
      try {
        return await this.prisma.$transaction(async (tx) => {
          // Under the tenant's seat lock to the commit, as every seat check: a plan change or an
          // invitation at the same time cannot count the seats before this one is taken.
          if (tenant) await assertSeatAvailable(tx, tenant.id);
          const existing = await tx.user.findUnique({ where: { email }, include: withMemberships });
          if (existing) {
            if (tenant && existing.memberships.some((m) => m.tenantId === tenant.id)) {
              const role = existing.memberships.find((m) => m.tenantId === tenant.id)!.role;
              throw new AuthError('USER_EXISTS', `A user with email ${email} already exists in "${tenant.slug}" (as ${role}).`, { email });
            }
            if (!tenant && existing.platformRole === OPS_ROLE) {
              throw new AuthError('USER_EXISTS', `A user with email ${email} already exists and is already Kineo ops.`, { email });
            }
          }
          const user =
            existing ??
            (await tx.user.create({
              data: { email, displayName: input.displayName ?? null, passwordHash, status: 'active' },
              include: withMemberships,
            }));
          // An invited account has no password until now; a working account keeps the one it has.
          if (existing && !existing.passwordHash) {
            await tx.user.update({ where: { id: existing.id }, data: { passwordHash, status: 'active' } });
          }
          if (tenant && 'role' in grant) {
            await tx.membership.create({
              data: { userId: user.id, tenantId: tenant.id, role: grant.role, lmsUserId: grant.lmsUserId === undefined ? null : BigInt(grant.lmsUserId) },
            });
          } else {
            await tx.user.update({ where: { id: user.id }, data: { platformRole: OPS_ROLE } });
          }
          await tx.auditEvent.create({
            data: { actor: input.actor, action: existing ? 'user.granted' : 'user.created', tenantId: tenant?.id ?? null, details },
          });
          const saved = await tx.user.findUniqueOrThrow({ where: { id: user.id }, include: withMemberships });
          return { user: summarize(saved), created: !existing };
        });
      } catch (error) {
        // Two requests for one new email at once: the second finds the first's row at commit.
        if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') {
          throw new AuthError('USER_EXISTS', `A user with email ${email} was created at the same time; run the command again.`, { email });
        }
        throw error;
      }
    });
  }

  /** Every account, or the members of one tenant (with only their membership there). */
  async list(options: { tenantSlug?: string } = {}): Promise<UserSummary[]> {
    const tenant = options.tenantSlug ? await new TenantService(this.prisma).get(options.tenantSlug) : undefined;
    const users = await dbCall(() =>
      this.prisma.user.findMany({
        where: tenant ? { memberships: { some: { tenantId: tenant.id } } } : undefined,
        include: tenant
          ? { memberships: { where: { tenantId: tenant.id }, include: { tenant: { select: { slug: true } } }, orderBy: { createdAt: 'asc' } } }
          : withMemberships,
        orderBy: { email: 'asc' },
      }),
    );
    return users.map(summarize);
  }
}
