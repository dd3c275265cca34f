import { graphql } from '@/generated/server';

export const SignInMutation = graphql(`
  mutation SignIn($email: String!, $password: String!, $tenant: String) {
    login(email: $email, password: $password, tenant: $tenant) {
      token
      expiresAt
      role
      tenant {
        slug
        name
      }
    }
  }
`);

export const MeQuery = graphql(`
  query Me {
    me {
      email
      displayName
      role
      locale
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
