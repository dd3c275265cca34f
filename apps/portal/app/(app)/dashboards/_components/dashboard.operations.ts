import { graphql } from '@/generated/browser';

/** What every answer says about its columns: how to find, title and format each value. */
export const ResultColumnFields = graphql(`
  fragment ResultColumnFields on ResultColumn {
    key
    member
    title
    type
    format
    values {
      value
      label
      tone
    }
  }
`);

export const DashboardQuery = graphql(`
  query Dashboard($id: String!, $filters: [AnalyticsFilterInput!], $reach: Reach) {
    dashboard(id: $id, filters: $filters, reach: $reach) {
      id
      title
      description
      filters
      periods {
        title
        description
        members
      }
      emptyState
      dataVersion
      asOf
      tiles {
        id
        title
        chart
        drill
        query
        pageSize
        result {
          columns {
            ...ResultColumnFields
          }
          rows
          hasMore
          total
          partialPeriod {
            column
            value
            through
            reason
          }
          partialStart {
            column
            value
            from
          }
        }
        error {
          code
          message
          retryAfterSeconds
        }
      }
    }
  }
`);

/** Any query over the model: a filter's values, a page of a table tile in any order, Explore's answer. */
export const AnalyticsRowsQuery = graphql(`
  query AnalyticsRows($query: AnalyticsQueryInput!, $reach: Reach) {
    analytics(query: $query, reach: $reach) {
      columns {
        ...ResultColumnFields
      }
      rows
      hasMore
      total
      dataVersion
      asOf
      partialPeriod {
        column
        value
        through
        reason
      }
      partialStart {
        column
        value
        from
      }
    }
  }
`);

export const DrillQuery = graphql(`
  query Drill($query: AnalyticsQueryInput!, $cell: JSON!, $measure: String, $after: String, $pageSize: Int, $reach: Reach) {
    drill(query: $query, cell: $cell, measure: $measure, after: $after, pageSize: $pageSize, reach: $reach) {
      columns {
        ...ResultColumnFields
      }
      rows
      nextCursor
      total
      dataVersion
      asOf
    }
  }
`);

/** Each measure's definition, shown beside its name on the dashboards (the model's description). */
export const MeasureDefinitionsQuery = graphql(`
  query MeasureDefinitions {
    meta {
      cubes {
        name
        measures {
          name
          description
        }
      }
    }
  }
`);
