'use client';

import { useQuery } from '@tanstack/react-query';
import { runOperation } from '@/app/_client/graphql-client';
import { OrganisationsQuery } from './users.operations';

export interface Organisation {
  id: number;
  name: string;
  /** How deep it sits (1 at the top), for indenting the list. */
  depth: number;
}

/** The organisations of the published data in hierarchy order; none before a first publish. */
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
