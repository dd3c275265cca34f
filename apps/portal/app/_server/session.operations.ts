import { graphql } from '@/generated/server';

/** What the portal keeps of a new session: the token goes into the cookie, the role picks the landing page. */
export const SessionFields = graphql(`
  fragment SessionFields on Session {
    token
    expiresAt
    role
    tenant {
      slug
      name
    }
  }
`);

export const SignInMutation = graphql(`
  mutation SignIn($email: String!, $password: String!, $tenant: String) {
    login(email: $email, password: $password, tenant: $tenant) {
      ...SessionFields
    }
  }
`);

/** Signing out ends the session at the gateway too: a copy of the cookie stops working with it. */
export const SignOutMutation = graphql(`
  mutation SignOut {
    logout
  }
`);

export const MeQuery = graphql(`
  query Me {
    me {
      email
      displayName
      role
      locale
      fiscalYearStartMonth
      sessionExpiresAt
      tenant {
        slug
        name
      }
    }
  }
`);

export const MyDashboardsQuery = graphql(`
  query MyDashboards {
    meta {
      dashboards {
        id
        title
      }
    }
  }
`);

export const AcceptInvitationMutation = graphql(`
  mutation AcceptInvitation($token: String!, $password: String!, $displayName: String) {
    acceptInvitation(token: $token, password: $password, displayName: $displayName) {
      ...SessionFields
    }
  }
`);

export const RequestPasswordResetMutation = graphql(`
  mutation RequestPasswordReset($email: String!) {
    requestPasswordReset(email: $email)
  }
`);

export const ResetPasswordMutation = graphql(`
  mutation ResetPassword($token: String!, $newPassword: String!) {
    resetPassword(token: $token, newPassword: $newPassword)
  }
`);

export const SignInOptionsQuery = graphql(`
  query SignInOptions($tenant: String!) {
    tenantSignInOptions(tenant: $tenant) {
      microsoft
      password
    }
  }
`);
