import { graphql } from '@/generated/browser';

export const MemberFields = graphql(`
  fragment MemberFields on TenantMember {
    membershipId
    email
    displayName
    role
    status
    lmsUserId
    lmsUserName
    organisationIds
    lastSignInAt
    memberSince
  }
`);

export const UsersQuery = graphql(`
  query Users {
    users {
      ...MemberFields
    }
    pendingInvitations {
      id
      email
      role
      lmsUserId
      lmsUserName
      organisationIds
      expiresAt
    }
    seats {
      ...SeatFields
    }
  }
`);

export const InviteUserMutation = graphql(`
  mutation InviteUser($email: String!, $role: TenantRole!, $lmsUserId: Int, $organisationIds: [Int!]) {
    inviteUser(email: $email, role: $role, lmsUserId: $lmsUserId, organisationIds: $organisationIds) {
      id
      email
      role
      link
      delivery
      expiresAt
    }
  }
`);

export const ChangeRoleMutation = graphql(`
  mutation ChangeRole($membershipId: ID!, $role: TenantRole!, $lmsUserId: Int) {
    changeRole(membershipId: $membershipId, role: $role, lmsUserId: $lmsUserId) {
      ...MemberFields
    }
  }
`);

export const GrantViewerOrganisationsMutation = graphql(`
  mutation GrantViewerOrganisations($membershipId: ID!, $organisationIds: [Int!]!) {
    grantViewerOrganisations(membershipId: $membershipId, organisationIds: $organisationIds) {
      ...MemberFields
    }
  }
`);

export const DeactivateUserMutation = graphql(`
  mutation DeactivateUser($membershipId: ID!) {
    deactivateUser(membershipId: $membershipId) {
      ...MemberFields
    }
  }
`);

export const ReactivateUserMutation = graphql(`
  mutation ReactivateUser($membershipId: ID!) {
    reactivateUser(membershipId: $membershipId) {
      ...MemberFields
    }
  }
`);

export const RevokeInvitationMutation = graphql(`
  mutation RevokeInvitation($invitationId: ID!) {
    revokeInvitation(invitationId: $invitationId)
  }
`);

export const SendPasswordResetMutation = graphql(`
  mutation SendPasswordReset($membershipId: ID!) {
    sendPasswordReset(membershipId: $membershipId) {
      email
      delivery
      link
      expiresAt
    }
  }
`);
