import { Field, GraphQLISODateTime, ID, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import type { LinkDelivery, MemberStatus } from '@kineo/auth';
import type { TenantRole } from '@kineo/db';

export const TenantRoleEnum = { org_admin: 'org_admin', manager: 'manager', viewer: 'viewer' } as const satisfies Record<TenantRole, TenantRole>;
registerEnumType(TenantRoleEnum, { name: 'TenantRole', description: 'A role in one organisation.' });

export const MemberStatusEnum = { active: 'active', deactivated: 'deactivated', disabled: 'disabled' } as const satisfies Record<MemberStatus, MemberStatus>;
registerEnumType(MemberStatusEnum, {
  name: 'MemberStatus',
  valuesMap: {
    active: { description: 'Can sign in.' },
    deactivated: { description: 'Deactivated in this organisation by an org admin; reactivate to restore.' },
    disabled: { description: 'The account is disabled everywhere by Kineo.' },
  },
});

export const LinkDeliveryEnum = { mailed: 'mailed', logged: 'logged' } as const satisfies Record<LinkDelivery, LinkDelivery>;
registerEnumType(LinkDeliveryEnum, {
  name: 'LinkDelivery',
  valuesMap: {
    mailed: { description: 'Sent by e-mail.' },
    logged: { description: 'No mail server is configured: pass the link on yourself.' },
  },
});

@ObjectType('TenantMember', { description: 'A person in the organisation.' })
export class TenantMemberType {
  @Field(() => ID, { description: 'The membership; what the user-management mutations take.' })
  membershipId!: string;

  @Field()
  email!: string;

  @Field(() => String, { nullable: true })
  displayName!: string | null;

  @Field(() => TenantRoleEnum)
  role!: TenantRole;

  @Field(() => Int, { nullable: true, description: 'The LMS user a manager is linked to.' })
  lmsUserId!: number | null;

  @Field(() => String, {
    nullable: true,
    description: "That LMS user's name in the published data (gold dim_user); null when not linked, before the first publish, or when the id is not in the data.",
  })
  lmsUserName?: string | null;

  @Field(() => MemberStatusEnum)
  status!: MemberStatus;

  @Field(() => GraphQLISODateTime, { nullable: true, description: 'Last successful sign-in, in any organisation.' })
  lastSignInAt!: Date | null;

  @Field(() => [Int], { description: "A viewer's granted LMS organisations (each with everything below it)." })
  organisationIds!: number[];

  @Field(() => GraphQLISODateTime)
  memberSince!: Date;
}

/** What every invitation shows. */
@ObjectType({ isAbstract: true })
abstract class InvitationFields {
  @Field(() => ID)
  id!: string;

  @Field()
  email!: string;

  @Field(() => TenantRoleEnum)
  role!: TenantRole;

  @Field(() => Int, { nullable: true, description: 'The LMS user an invited manager is linked to.' })
  lmsUserId!: number | null;

  @Field(() => String, {
    nullable: true,
    description: "That LMS user's name in the published data (gold dim_user); null when not linked, before the first publish, or when the id is not in the data.",
  })
  lmsUserName?: string | null;

  @Field(() => [Int], { description: 'The LMS organisations a viewer invitation grants once accepted (each with everything below it); empty for other roles.' })
  organisationIds!: number[];

  @Field(() => GraphQLISODateTime)
  expiresAt!: Date;
}

@ObjectType('Invitation', { description: 'An invitation that was sent; the link works once, until it expires.' })
export class InvitationType extends InvitationFields {
  @Field({ description: 'The accept link. Shown once, here; only its hash is stored.' })
  link!: string;

  @Field(() => LinkDeliveryEnum)
  delivery!: LinkDelivery;
}

@ObjectType('PasswordResetSent', { description: 'A password reset link an org admin sent for a member.' })
export class PasswordResetSentType {
  @Field()
  email!: string;

  @Field(() => LinkDeliveryEnum)
  delivery!: LinkDelivery;

  @Field(() => String, {
    nullable: true,
    description: 'The link, for the admin to pass on, when no mail server sent it (it works once; only its hash is kept). Null when it was mailed.',
  })
  link!: string | null;

  @Field(() => GraphQLISODateTime, { description: 'The link stops working then (an hour after it was made), or once a newer one is made.' })
  expiresAt!: Date;
}

@ObjectType('Seats', { description: "The people the organisation's plan allows, and how many seats are taken: members (not deactivated) and invitations still pending." })
export class SeatsType {
  @Field(() => Int, { nullable: true, description: 'Null when the organisation has no current plan: nothing limits it.' })
  limit!: number | null;

  @Field(() => Int, { description: 'Members plus pending invitations.' })
  used!: number;

  @Field(() => Int)
  members!: number;

  @Field(() => Int, { description: 'Pending, unexpired invitations: each holds a seat until it is accepted, withdrawn or expires.' })
  invitations!: number;

  @Field(() => Int, { nullable: true, description: 'Seats left to invite someone to; null when there is no limit.' })
  free!: number | null;
}

@ObjectType('PendingInvitation', { description: 'An invitation not accepted yet (its link is not kept, so it is not shown).' })
export class PendingInvitationType extends InvitationFields {
  @Field(() => GraphQLISODateTime)
  createdAt!: Date;
}

@ObjectType('ManagerInvitations', { description: "What inviting every manager of the organisation's hierarchy did." })
export class ManagerInvitationsType {
  @Field(() => Int, { description: 'LMS users in the published data who manage someone.' })
  managers!: number;

  @Field(() => Int)
  invited!: number;

  @Field(() => Int, { description: "Already see their reports: an active manager linked to their LMS user, or an active org admin at their e-mail address." })
  alreadyMembers!: number;

  @Field(() => Int, {
    description:
      "Deactivated members linked to their LMS user or at their e-mail address: they cannot sign in, so do not see their reports. Not invited again; an org admin reactivates them on the Users page.",
  })
  deactivatedMembers!: number;

  @Field(() => Int, {
    description: "Members at their e-mail address whose role does not give them this manager's reports (a viewer, or a manager linked to another LMS user): not invited; change that member's role instead.",
  })
  membersWithOtherAccess!: number;

  @Field(() => Int, { description: 'Already have a pending invitation: to their e-mail address, or as a manager linked to their LMS user under another address.' })
  alreadyInvited!: number;

  @Field(() => Int, { description: 'Have no usable e-mail address in the LMS.' })
  withoutEmail!: number;

  @Field(() => Int, { description: 'Share their e-mail address with another manager; only the first was invited.' })
  sharedEmail!: number;

  @Field(() => [InvitationType])
  invitations!: InvitationType[];
}

@ObjectType('SignInOptions', { description: 'How people of an organisation can sign in.' })
export class SignInOptionsType {
  @Field()
  password!: boolean;

  @Field({ description: 'Microsoft Entra ID sign-in: send the browser to GET /auth/oidc/<tenant>/start.' })
  microsoft!: boolean;
}

@ObjectType('Account', { description: "The signed-in person's own account, for their account page." })
export class AccountType {
  @Field({ description: "False when they sign in only with their organisation's Microsoft account: there is no password here to change." })
  hasPassword!: boolean;

  @Field(() => Int, { description: 'Their other sign-ins that can still be used (other browsers or devices), not counting this one.' })
  otherSessions!: number;
}

@ObjectType('PasswordChange')
export class PasswordChangeType {
  @Field(() => Int, { description: 'How many of their other sign-ins ended with the change; this one goes on.' })
  sessionsEnded!: number;
}
