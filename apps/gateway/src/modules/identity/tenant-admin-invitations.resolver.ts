import { Inject } from '@nestjs/common';
import { Args, Mutation, Resolver } from '@nestjs/graphql';
import { InvitationService, type Principal } from '@kineo/auth';
import { TenantError, TenantService, type PrismaClient } from '@kineo/db';
import { CurrentPrincipal } from '../../engine/auth/auth.decorators';
import { OpsOnly } from '../../engine/auth/ops.guard';
import { PRISMA } from '../../engine/database/database.module';
import { parseInput, slugArgumentSchema } from '../operations/operations.schemas';
import { InvitationType } from './identity.types';

/**
 * Kineo ops give an organisation its first admin (or another): a tenant provisioned from the console
 * has no one who can sign in until then. The same invitation an org admin sends (one-time link,
 * mailed when a mail server is set, returned here always), audited with the ops user as actor.
 */
@Resolver()
@OpsOnly()
export class TenantAdminInvitationsResolver {
  private readonly tenants: TenantService;

  constructor(
    @Inject(PRISMA) prisma: PrismaClient,
    private readonly invitations: InvitationService,
  ) {
    this.tenants = new TenantService(prisma);
  }

  @Mutation(() => InvitationType, {
    description:
      "Invites someone as an organisation admin of the tenant (its first, after provisioning). The accept link is mailed when a mail server is configured, and always returned here. Fails with PLAN_LIMIT when the plan has no seat left, USER_EXISTS when they are in the organisation already.",
  })
  async inviteTenantAdmin(@Args('slug') slug: string, @Args('email') email: string, @CurrentPrincipal() principal: Principal): Promise<InvitationType> {
    const tenant = await this.tenants.get(parseInput(slugArgumentSchema, slug, 'slug'));
    // Not a session refused (TENANT_SUSPENDED is for its people): ops asked for something its status rules out.
    if (tenant.status === 'offboarded') {
      throw new TenantError('TENANT_STATUS_CONFLICT', `Tenant "${tenant.slug}" is offboarded and takes no one new; provision a new tenant to bring the organisation back.`, {
        slug: tenant.slug,
      });
    }
    const [sent] = await this.invitations.inviteMany({ userId: principal.userId, tenantId: tenant.id }, [{ email, role: 'org_admin' }], 'ops');
    return { ...sent, lmsUserId: null, lmsUserName: null };
  }
}
