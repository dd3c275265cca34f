import { Inject } from '@nestjs/common';
import { Args, Mutation, Resolver } from '@nestjs/graphql';
import { InvitationService, type Principal } from '@kineo/auth';
import { TenantError, TenantService, type PrismaClient } from '@kineo/db';
import { CurrentPrincipal } from '../../engine/auth/auth.decorators';
import { OpsOnly } from '../../engine/auth/ops.guard';
import { PRISMA } from '../../engine/database/database.module';
import { parseInput, slugArgumentSchema } from '../operations/operations.schemas';
import { InvitationType } from './identity.types';
import { activeOrgAdmins } from './org-admins.util';

/**
 * Kineo ops give an organisation its first admin: a tenant provisioned from the console has no one
 * who can sign in until then (or its admins have all left: none active). The same invitation an org
 * admin sends (one-time link, mailed when a mail server is set, returned here always), audited with
 * the ops user as actor. Not once the organisation has an active admin: ops see every tenant but no
 * learner rows, and an admin invited by ops would (the organisation's admins invite whom they trust).
 */
@Resolver()
@OpsOnly()
export class TenantAdminInvitationsResolver {
  private readonly tenants: TenantService;

  constructor(
    @Inject(PRISMA) private readonly prisma: PrismaClient,
    private readonly invitations: InvitationService,
  ) {
    this.tenants = new TenantService(prisma);
  }

  @Mutation(() => InvitationType, {
    description:
      "Invites someone as an organisation admin of the tenant while it has no active admin (its first, after provisioning, or after its admins have all left). The accept link is mailed when a mail server is configured, and always returned here. Fails with TENANT_STATUS_CONFLICT once the organisation has an active admin (who invites from then on), PLAN_LIMIT when the plan has no seat left, USER_EXISTS when they are in the organisation already.",
  })
  async inviteTenantAdmin(@Args('slug') slug: string, @Args('email') email: string, @CurrentPrincipal() principal: Principal): Promise<InvitationType> {
    const tenant = await this.tenants.get(parseInput(slugArgumentSchema, slug, 'slug'));
    // Not a session refused (TENANT_SUSPENDED is for its people): ops asked for something its status rules out.
    if (tenant.status === 'offboarded') {
      throw new TenantError('TENANT_STATUS_CONFLICT', `Tenant "${tenant.slug}" is offboarded and takes no one new; provision a new tenant to bring the organisation back.`, {
        slug: tenant.slug,
      });
    }
    const admins = await activeOrgAdmins(this.prisma, tenant.id);
    if (admins > 0) {
      throw new TenantError(
        'TENANT_STATUS_CONFLICT',
        `${tenant.name} has ${admins === 1 ? 'an organisation admin already, who invites' : `${admins} organisation admins already, who invite`} its people; Kineo ops give an organisation its first admin only (or a new one once none is active).`,
        { slug: tenant.slug, admins },
      );
    }
    const [sent] = await this.invitations.inviteMany({ userId: principal.userId, tenantId: tenant.id }, [{ email, role: 'org_admin' }], 'ops');
    return { ...sent, lmsUserId: null, lmsUserName: null };
  }
}
