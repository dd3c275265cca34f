import { AuditLog, dbCall, type PrismaClient, type TenantStatus } from '@kineo/db';
import type { SecretStore } from '@kineo/config';
import { assertIdentifier } from '@kineo/tenancy';
import { AuthError, badCredentials, sessionInvalid } from './auth.exception';
import { normalizeEmail } from './email.util';
import { parseLoginInput } from './login-input.util';
import { verifyAgainstDummy, verifyPassword } from './password.util';
import { SessionTokens } from './session-token.service';
import { OPS_ROLE, type Principal, type SessionRole, type TenantContext } from './tenant-context.types';

export interface LoginResult {
  token: string;
  expiresAt: Date;
  role: SessionRole;
  userId: string;
  /** Null for a platform (Kineo ops) session. */
  tenant: { id: string; slug: string; name: string } | null;
}

/** Where a sign-in came from, for the audit log. */
export interface LoginOrigin {
  ip?: string;
  userAgent?: string;
}

export const AUDIT_LOGIN = 'auth.login';
export const AUDIT_LOGIN_FAILED = 'auth.login_failed';

/** Refuses a tenant that may not be used; provisioning tenants are allowed so an admin can start onboarding. */
export function assertTenantUsable(tenant: { slug: string; status: TenantStatus }): void {
  if (tenant.status === 'suspended') {
    throw new AuthError('TENANT_SUSPENDED', `The organisation "${tenant.slug}" is suspended. Contact Kineo support.`, { tenant: tenant.slug });
  }
  if (tenant.status === 'offboarded') {
    throw new AuthError('TENANT_SUSPENDED', `The organisation "${tenant.slug}" no longer uses Kineo Analytics.`, { tenant: tenant.slug });
  }
}

/** Sign-in with email and password, and the sessions it hands out. */
export class AuthService {
  private readonly audit: AuditLog;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly tokens: SessionTokens,
  ) {
    this.audit = new AuditLog(prisma);
  }

  /** The signing key is read from (or created in) the secret store when the first token is signed or checked. */
  static create(prisma: PrismaClient, secrets: SecretStore, options: { sessionTtlSeconds?: number } = {}): AuthService {
    return new AuthService(prisma, SessionTokens.fromSecretStore(secrets, options.sessionTtlSeconds));
  }

  /**
   * A session for the user: in their only tenant, in `tenantSlug` when they have several, or a
   * platform session for Kineo ops who name no tenant. An unknown email and a wrong password fail
   * alike, in about the same time.
   */
  async login(email: string, password: string, tenantSlug?: string, origin: LoginOrigin = {}): Promise<LoginResult> {
    parseLoginInput({ email, password, tenant: tenantSlug });
    const address = normalizeEmail(email);
    const slug = tenantSlug?.trim() || undefined;
    const user = await dbCall(() =>
      this.prisma.user.findUnique({
        where: { email: address },
        include: { memberships: { include: { tenant: true }, orderBy: { tenant: { slug: 'asc' } } } },
      }),
    );
    const fail = async (reason: string, error: AuthError, tenantId: string | null = null): Promise<never> => {
      await this.audit.record({
        actor: user?.id ?? 'anonymous',
        action: AUDIT_LOGIN_FAILED,
        tenantId,
        details: { email: address, reason, ...(slug ? { tenant: slug } : {}), ...origin },
      });
      throw error;
    };

    if (!user || !user.passwordHash || user.status !== 'active') {
      await verifyAgainstDummy(password);
      return fail(!user ? 'unknown_email' : user.status !== 'active' ? `user_${user.status}` : 'no_password', badCredentials());
    }
    if (!(await verifyPassword(user.passwordHash, password))) return fail('wrong_password', badCredentials());

    const isOps = user.platformRole === OPS_ROLE;
    let membership = slug ? user.memberships.find((m) => m.tenant.slug === slug) : undefined;
    if (slug && !membership) {
      return fail('not_a_member', new AuthError('FORBIDDEN', `You have no access to the organisation "${slug}".`, { tenant: slug }));
    }
    if (!slug && !isOps) {
      if (user.memberships.length === 0) {
        return fail('no_membership', new AuthError('FORBIDDEN', 'Your account is not part of any organisation yet. Ask your administrator.'));
      }
      if (user.memberships.length > 1) {
        const slugs = user.memberships.map((m) => m.tenant.slug);
        return fail(
          'tenant_required',
          new AuthError('TENANT_REQUIRED', `You belong to several organisations; choose one of: ${slugs.join(', ')}.`, { tenants: slugs }),
        );
      }
      membership = user.memberships[0];
    }

    if (membership) {
      const tenant = membership.tenant;
      try {
        assertTenantUsable(tenant);
      } catch (error) {
        return fail(`tenant_${tenant.status}`, error as AuthError, tenant.id);
      }
      const session = await this.tokens.issue({ userId: user.id, tenantId: tenant.id, role: membership.role });
      await this.succeeded(user.id, tenant.id, membership.role, origin);
      return { ...session, role: membership.role, userId: user.id, tenant: { id: tenant.id, slug: tenant.slug, name: tenant.name } };
    }

    const session = await this.tokens.issue({ userId: user.id, role: OPS_ROLE });
    await this.succeeded(user.id, null, OPS_ROLE, origin);
    return { ...session, role: OPS_ROLE, userId: user.id, tenant: null };
  }

  /**
   * The caller behind a token. The token proves who signed in and for which tenant; the user, their
   * membership (and so their current role) and the tenant come from Postgres on every call, so
   * disabling a user, removing a membership or suspending a tenant takes effect at once.
   */
  async verify(token: string): Promise<Principal> {
    const claims = await this.tokens.verify(token);
    const identity = (user: { id: string; email: string; displayName: string | null }) => ({
      userId: user.id,
      email: user.email,
      displayName: user.displayName,
      expiresAt: claims.expiresAt,
    });

    if (!claims.tenantId) {
      const user = await dbCall(() => this.prisma.user.findUnique({ where: { id: claims.userId } }));
      if (!user || user.status !== 'active' || user.platformRole !== OPS_ROLE) throw sessionInvalid();
      return { ...identity(user), role: OPS_ROLE, context: null, tenant: null };
    }

    const tenantId = claims.tenantId;
    const membership = await dbCall(() =>
      this.prisma.membership.findUnique({
        where: { userId_tenantId: { userId: claims.userId, tenantId } },
        include: { user: true, tenant: true },
      }),
    );
    if (!membership || membership.user.status !== 'active') throw sessionInvalid();
    const tenant = membership.tenant;
    assertTenantUsable(tenant);
    const context: TenantContext = {
      tenantId: tenant.id,
      namespace: assertIdentifier(tenant.namespace),
      dataVersion: tenant.dataVersion,
      role: membership.role,
      lmsUserId: membership.lmsUserId === null ? null : Number(membership.lmsUserId),
      userId: membership.userId,
    };
    return {
      ...identity(membership.user),
      role: membership.role,
      context,
      tenant: { id: tenant.id, slug: tenant.slug, name: tenant.name },
    };
  }

  private async succeeded(userId: string, tenantId: string | null, role: SessionRole, origin: LoginOrigin): Promise<void> {
    await dbCall(() => this.prisma.user.update({ where: { id: userId }, data: { lastLoginAt: new Date() } }));
    await this.audit.record({ actor: userId, action: AUDIT_LOGIN, tenantId, details: { role, ...origin } });
  }
}
