import { Args, ID, Int, Mutation, Query, Resolver } from '@nestjs/graphql';
import { InvitationService, OidcService, PasswordResetService, TenantUserService, type TenantContext } from '@kineo/auth';
import type { TenantRole } from '@kineo/db';
import { CurrentTenant, Roles } from '../../engine/auth/auth.decorators';
import { InvitationType, ManagerInvitationsType, PasswordResetSentType, PendingInvitationType, SeatsType, TenantMemberType, TenantRoleEnum } from './identity.types';
import { LmsPeopleService } from './lms-people.service';
import { ManagerInvitationsService } from './manager-invitations.service';

const actorOf = (tenant: TenantContext) => ({ userId: tenant.userId, tenantId: tenant.tenantId });

/** The org admin's people page: who is in the organisation, invitations, roles, access. Every change is audited. */
@Resolver()
export class PeopleResolver {
  constructor(
    private readonly members: TenantUserService,
    private readonly invitations: InvitationService,
    private readonly managers: ManagerInvitationsService,
    private readonly oidc: OidcService,
    private readonly lmsPeople: LmsPeopleService,
    private readonly resets: PasswordResetService,
  ) {}

  @Query(() => [TenantMemberType], { description: 'Everyone in the organisation, with role, status and last sign-in.' })
  @Roles('org_admin')
  async users(@CurrentTenant() tenant: TenantContext): Promise<TenantMemberType[]> {
    return this.lmsPeople.withNames(tenant, await this.members.list(tenant.tenantId));
  }

  @Query(() => SeatsType, { description: "The plan's seats and how many are taken: what decides whether an invitation fits." })
  @Roles('org_admin')
  async seats(@CurrentTenant() tenant: TenantContext): Promise<SeatsType> {
    const usage = await this.members.seats(tenant.tenantId);
    return { ...usage, free: usage.limit === null ? null : Math.max(0, usage.limit - usage.used) };
  }

  @Query(() => [PendingInvitationType], { description: 'Invitations sent and not accepted yet.' })
  @Roles('org_admin')
  async pendingInvitations(@CurrentTenant() tenant: TenantContext): Promise<PendingInvitationType[]> {
    const pending = await this.invitations.pending(tenant.tenantId);
    return this.lmsPeople.withNames(tenant, pending.map((i) => ({ ...i, lmsUserId: i.lmsUserId === null ? null : Number(i.lmsUserId), organisationIds: i.organisationIds.map(Number) })));
  }

  @Mutation(() => InvitationType, {
    description:
      'Invites someone. The accept link is mailed when a mail server is configured, and always returned here. A manager needs their LMS user id (no other role has one); a viewer may be granted LMS organisations. Both must be in the published data once there is some. Fails with PLAN_LIMIT when the plan has no seat left (re-sending to an address already invited takes none).',
  })
  @Roles('org_admin')
  async inviteUser(
    @CurrentTenant() tenant: TenantContext,
    @Args('email') email: string,
    @Args('role', { type: () => TenantRoleEnum }) role: TenantRole,
    @Args('lmsUserId', { type: () => Int, nullable: true }) lmsUserId: number | null,
    @Args('organisationIds', { type: () => [Int], nullable: true }) organisationIds: number[] | null,
  ): Promise<InvitationType> {
    if (role === 'manager' && lmsUserId !== null) await this.lmsPeople.assertInPublishedData(tenant, lmsUserId);
    if (role === 'viewer' && organisationIds) await this.lmsPeople.assertOrganisationsInPublishedData(tenant, organisationIds);
    const sent = await this.invitations.invite(actorOf(tenant), { email, role, lmsUserId: lmsUserId ?? undefined, organisationIds: organisationIds ?? [] });
    const [named] = await this.lmsPeople.withNames(tenant, [{ ...sent, lmsUserId }]);
    return named;
  }

  @Mutation(() => Boolean, { description: 'Withdraws a pending invitation; its link stops working.' })
  @Roles('org_admin')
  async revokeInvitation(@CurrentTenant() tenant: TenantContext, @Args('invitationId', { type: () => ID }) invitationId: string): Promise<boolean> {
    await this.invitations.revoke(actorOf(tenant), invitationId);
    return true;
  }

  @Mutation(() => ManagerInvitationsType, {
    description:
      'Gives every manager in the hierarchy access in one go: invites, as managers linked to their LMS user, the people in the published data who manage someone, have an e-mail address and are not members or invited yet.',
  })
  @Roles('org_admin')
  inviteAllManagers(@CurrentTenant() tenant: TenantContext): Promise<ManagerInvitationsType> {
    return this.managers.inviteAll(tenant);
  }

  @Mutation(() => TenantMemberType, { description: 'Changes a member\'s role (a manager needs an LMS user id, given here or already linked; another role drops the link). Takes effect on their next request.' })
  @Roles('org_admin')
  async changeRole(
    @CurrentTenant() tenant: TenantContext,
    @Args('membershipId', { type: () => ID }) membershipId: string,
    @Args('role', { type: () => TenantRoleEnum }) role: TenantRole,
    @Args('lmsUserId', { type: () => Int, nullable: true }) lmsUserId: number | null,
  ): Promise<TenantMemberType> {
    if (role === 'manager' && lmsUserId !== null) await this.lmsPeople.assertInPublishedData(tenant, lmsUserId);
    return this.members.changeRole(actorOf(tenant), membershipId, role, lmsUserId ?? undefined);
  }

  @Mutation(() => TenantMemberType, { description: 'Takes a member out of the organisation and ends their sessions in it; their seat is freed.' })
  @Roles('org_admin')
  deactivateUser(@CurrentTenant() tenant: TenantContext, @Args('membershipId', { type: () => ID }) membershipId: string): Promise<TenantMemberType> {
    return this.members.deactivate(actorOf(tenant), membershipId);
  }

  @Mutation(() => PasswordResetSentType, {
    description:
      "Sends an active member a link to choose a new password (one hour, once; any earlier link stops working; their password and sessions stay until it is used). Mailed when a mail server is configured; otherwise returned here to pass on, except for an account with access beyond this organisation (FORBIDDEN: the link would set that access's password too).",
  })
  @Roles('org_admin')
  async sendPasswordReset(@CurrentTenant() tenant: TenantContext, @Args('membershipId', { type: () => ID }) membershipId: string): Promise<PasswordResetSentType> {
    return this.resets.sendForMember(actorOf(tenant), await this.members.account(actorOf(tenant), membershipId));
  }

  @Mutation(() => TenantMemberType, { description: 'Lets a deactivated member back in (needs a free seat).' })
  @Roles('org_admin')
  reactivateUser(@CurrentTenant() tenant: TenantContext, @Args('membershipId', { type: () => ID }) membershipId: string): Promise<TenantMemberType> {
    return this.members.reactivate(actorOf(tenant), membershipId);
  }

  @Mutation(() => TenantMemberType, { description: 'Sets the LMS organisations a viewer sees, each with everything below it (replaces what they had). Ids the published data lacks are refused.' })
  @Roles('org_admin')
  async grantViewerOrganisations(
    @CurrentTenant() tenant: TenantContext,
    @Args('membershipId', { type: () => ID }) membershipId: string,
    @Args('organisationIds', { type: () => [Int] }) organisationIds: number[],
  ): Promise<TenantMemberType> {
    await this.lmsPeople.assertOrganisationsInPublishedData(tenant, organisationIds);
    return this.members.grantViewerOrganisations(actorOf(tenant), membershipId, organisationIds);
  }

  @Mutation(() => Boolean, {
    description:
      "Turns on Microsoft Entra ID sign-in for the organisation: the directory's issuer (https://login.microsoftonline.com/<directory id>/v2.0), the app registration's client id and secret, and the e-mail domains allowed (none = any). Register <gateway>/auth/oidc/<tenant>/callback as its redirect URI.",
  })
  @Roles('org_admin')
  async configureMicrosoftSignIn(
    @CurrentTenant() tenant: TenantContext,
    @Args('issuer') issuer: string,
    @Args('clientId') clientId: string,
    @Args('allowedDomains', { type: () => [String], defaultValue: [] }) allowedDomains: string[],
    @Args('clientSecret', { type: () => String, nullable: true, description: 'Omit to keep the stored one.' }) clientSecret: string | null,
  ): Promise<boolean> {
    await this.oidc.configure(actorOf(tenant), { issuer, clientId, allowedDomains, clientSecret: clientSecret ?? undefined });
    return true;
  }

  @Mutation(() => Boolean, { description: 'Turns Microsoft sign-in off; members sign in with their password.' })
  @Roles('org_admin')
  async disableMicrosoftSignIn(@CurrentTenant() tenant: TenantContext): Promise<boolean> {
    await this.oidc.disable(actorOf(tenant));
    return true;
  }
}
