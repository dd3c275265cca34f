import { graphql } from '@/generated/browser';

export const ExploreMetaQuery = graphql(`
  query ExploreMeta {
    meta {
      cubes {
        name
        title
        joins
        measures {
          name
          title
          format
        }
        dimensions {
          name
          title
          type
          granularities
          values {
            value
            label
          }
        }
      }
    }
  }
`);

export const SavedViewFields = graphql(`
  fragment SavedViewFields on SavedView {
    id
    name
    query
    chart
    shared
    mine
    ownerName
    updatedAt
  }
`);

export const SavedViewsQuery = graphql(`
  query SavedViews {
    savedViews {
      ...SavedViewFields
    }
  }
`);

export const SaveViewMutation = graphql(`
  mutation SaveView($input: SaveViewInput!) {
    saveView(input: $input) {
      ...SavedViewFields
    }
  }
`);

export const DeleteViewMutation = graphql(`
  mutation DeleteView($id: ID!) {
    deleteView(id: $id)
  }
`);
