import { graphql } from '@/generated/browser';

export const BuildRunFields = graphql(`
  fragment BuildRunFields on BuildRun {
    id
    status
    progress
    dataVersion
    error
    checksPassed
    checksFailed
    fiscalYearStartMonth
    followsBuildRunId
    stages {
      stage
      status
      error
      warnings
      durationMs
    }
  }
`);

export const LoadFields = graphql(`
  fragment LoadFields on Load {
    id
    status
    source
    createdAt
    finishedAt
    error
    rowsRead
    rowsLoaded
    rowsQuarantined
    files {
      file
      status
      rowsRead
      rowsLoaded
      rowsQuarantined
      note
    }
    build {
      ...BuildRunFields
    }
  }
`);

export const LoadQuery = graphql(`
  query OnboardingLoad($id: String!) {
    load(id: $id) {
      ...LoadFields
    }
  }
`);

/** The latest loads: the newest is shown, the others can be opened (a refused load leaves an earlier one's quarantine to fix). */
export const RecentLoadsQuery = graphql(`
  query RecentLoads {
    loads(first: 6) {
      items {
        ...LoadFields
      }
    }
  }
`);

export const QuarantineQuery = graphql(`
  query Quarantine($loadId: String!, $after: String) {
    quarantine(loadId: $loadId, first: 50, after: $after) {
      items {
        file
        line
        reason
        raw
      }
      endCursor
      hasNextPage
    }
  }
`);

export const TenantSettingsQuery = graphql(`
  query OnboardingSettings {
    tenantSettings {
      fiscalYearStartMonth
      dataVersion
      rebuildUnavailable
      lastRebuild {
        ...BuildRunFields
        createdAt
      }
    }
  }
`);

export const UpdateFiscalYearStartMutation = graphql(`
  mutation UpdateFiscalYearStart($month: Int!, $confirmHistoryReset: Boolean!, $fromMonth: Int!) {
    updateFiscalYearStart(month: $month, confirmHistoryReset: $confirmHistoryReset, fromMonth: $fromMonth) {
      fiscalYearStartMonth
    }
  }
`);

export const RebuildMutation = graphql(`
  mutation Rebuild {
    rebuild {
      buildRunId
      alreadyUnderWay
      kind
      queuedAt
      fiscalYearStartMonth
      follows {
        buildRunId
        kind
        status
      }
    }
  }
`);

export const SeatsQuery = graphql(`
  query Seats {
    seats {
      ...SeatFields
    }
  }
`);

export const InviteAllManagersMutation = graphql(`
  mutation InviteAllManagers {
    inviteAllManagers {
      managers
      invited
      alreadyInvited
      alreadyMembers
      deactivatedMembers
      membersWithOtherAccess
      withoutEmail
      sharedEmail
      invitations {
        id
        email
        link
        delivery
      }
    }
  }
`);
