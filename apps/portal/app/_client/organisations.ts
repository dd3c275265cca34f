'use client';

import { useQuery } from '@tanstack/react-query';
import { runOperation } from './graphql-client';
import { graphql } from '@/generated/browser';

/** The LMS organisations with learners in the published data that the caller may see. */
export const OrganisationsQuery = graphql(`
  query Organisations {
    analytics(
      query: {
        measures: ["Learner.count"]
        dimensions: ["Learner.organisationId", "Learner.organisationName", "Learner.organisationPath"]
        order: [{ member: "Learner.organisationPath", direction: asc }]
        limit: 5000
      }
    ) {
      columns {
        key
        member
      }
      rows
    }
  }
`);

export interface Organisation {
  id: number;
  name: string;
  /** How deep it sits (1 at the top), for indenting the list. */
  depth: number;
}

/**
 * The organisations of the published data with learners the caller may see, in hierarchy order (each
 * followed by those below it); none before a first publish. For granting a viewer subtrees (Users)
 * and for a dashboard's "Organisation and below" filter.
 */
export function useOrganisations() {
  return useQuery({
    queryKey: ['organisations'],
    queryFn: async (): Promise<Organisation[]> => {
      const { analytics } = await runOperation(OrganisationsQuery);
      const key = (member: string) => analytics.columns.find((c) => c.member === member)?.key ?? member;
      const [id, name, path] = [key('Learner.organisationId'), key('Learner.organisationName'), key('Learner.organisationPath')];
      return (analytics.rows as Record<string, unknown>[])
        .filter((r) => typeof r[id] === 'number' && (r[id]) > 0)
        .map((r) => ({ id: r[id] as number, name: typeof r[name] === 'string' ? r[name] : `#${String(r[id])}`, depth: (typeof r[path] === 'string' ? r[path] : '').split('/').filter(Boolean).length || 1 }));
    },
    retry: false,
  });
}
