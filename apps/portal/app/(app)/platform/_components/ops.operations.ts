import { graphql } from '@/generated/browser';

/** A build as the ops console shows it: its status and its checks. */
export const OpsBuildFields = graphql(`
  fragment OpsBuildFields on BuildRun {
    id
    kind
    status
    createdAt
    finishedAt
    dataVersion
    checksPassed
    checksFailed
    error
  }
`);

/** Whether the published version's rollups are current with the gateway's model. */
export const OpsRollupFields = graphql(`
  fragment OpsRollupFields on RollupStatus {
    state
    version
    stale
    error
  }
`);

/** The rebuild a tenant waits for because its published gold lacks columns this release reads. */
export const OpsGoldRebuildFields = graphql(`
  fragment OpsGoldRebuildFields on GoldRebuild {
    state
    fromVersion
    missing
    attempts
    maxAttempts
    willRetry
    buildRunId
    error
  }
`);

export const OpsTenantFields = graphql(`
  fragment OpsTenantFields on FleetTenant {
    id
    slug
    name
    status
    locale
    fiscalYearStartMonth
    dataVersion
    rows
    storageBytes
    createdAt
    plan {
      code
      name
      seatLimit
      rowLimit
    }
    lastLoad {
      id
      status
      at
    }
    lastBuild {
      ...OpsBuildFields
    }
    publishedBy {
      ...OpsBuildFields
    }
    rollups {
      ...OpsRollupFields
    }
    goldRebuild {
      ...OpsGoldRebuildFields
    }
  }
`);

export const FleetQuery = graphql(`
  query Fleet($first: Int, $after: String, $search: String) {
    fleet(first: $first, after: $after, search: $search) {
      items {
        ...OpsTenantFields
      }
      endCursor
      hasNextPage
    }
  }
`);

export const OpsTenantQuery = graphql(`
  query OpsTenant($slug: String!, $runsFirst: Int, $runsAfter: String) {
    tenant(slug: $slug, runsFirst: $runsFirst, runsAfter: $runsAfter) {
      slug
      name
      activeAdmins
      namespace
      status
      locale
      fiscalYearStartMonth
      dataVersion
      rows
      storageBytes
      createdAt
      plan {
        code
        name
        seatLimit
        rowLimit
      }
      rollups {
        ...OpsRollupFields
      }
      goldRebuild {
        ...OpsGoldRebuildFields
      }
      publishedBy {
        ...OpsBuildFields
      }
      runs {
        items {
          ...OpsBuildFields
          startedAt
          progress
          stages {
            stage
            status
            warnings
          }
        }
        endCursor
        hasNextPage
      }
    }
  }
`);

export const ProvisionTenantMutation = graphql(`
  mutation ProvisionTenant($input: ProvisionTenantInput!) {
    provisionTenant(input: $input) {
      jobId
      tenant {
        slug
        status
      }
    }
  }
`);

export const SuspendTenantMutation = graphql(`
  mutation SuspendTenant($slug: String!, $reason: String) {
    suspendTenant(slug: $slug, reason: $reason) {
      slug
      status
    }
  }
`);

export const InviteTenantAdminMutation = graphql(`
  mutation InviteTenantAdmin($slug: String!, $email: String!) {
    inviteTenantAdmin(slug: $slug, email: $email) {
      email
      link
      delivery
      expiresAt
    }
  }
`);

export const ResumeTenantMutation = graphql(`
  mutation ResumeTenant($slug: String!) {
    resumeTenant(slug: $slug) {
      slug
      status
    }
  }
`);

export const OffboardTenantMutation = graphql(`
  mutation OffboardTenant($slug: String!, $confirm: String!) {
    offboardTenant(slug: $slug, confirm: $confirm) {
      jobId
      tenant {
        slug
        status
      }
    }
  }
`);

export const SetTenantLocaleMutation = graphql(`
  mutation SetTenantLocale($slug: String!, $locale: String!) {
    setTenantLocale(slug: $slug, locale: $locale) {
      slug
      locale
    }
  }
`);

export const RefreshRollupsMutation = graphql(`
  mutation RefreshRollups($slug: String!) {
    refreshRollups(slug: $slug) {
      buildRunId
      jobId
    }
  }
`);

export const ChangePlanMutation = graphql(`
  mutation ChangePlan($slug: String!, $plan: String!) {
    changePlan(slug: $slug, plan: $plan) {
      slug
      plan {
        code
        name
      }
    }
  }
`);

export const OpsTenantAuditQuery = graphql(`
  query OpsTenantAudit($slug: String!, $auditFirst: Int, $auditAfter: String) {
    tenant(slug: $slug, runsFirst: 1, auditFirst: $auditFirst, auditAfter: $auditAfter) {
      audit {
        items {
          id
          actor
          actorEmail
          action
          details
          createdAt
        }
        endCursor
        hasNextPage
      }
    }
  }
`);
