'use client';

import { useQuery } from '@tanstack/react-query';
import { runOperation } from './graphql-client';
import { graphql } from '@/generated/browser';
import type { Reach } from '@/generated/browser/graphql';

/** The organisations the caller's learners sit in and every one above them, a parent before its children. */
export const OrganisationsQuery = graphql(`
  query Organisations($reach: Reach) {
    organisations(reach: $reach) {
      id
      name
      path
      depth
      selectable
    }
  }
`);

import type { Organisation } from './organisation-reach.util';

export { reachSentence, type Organisation, type Reader } from './organisation-reach.util';

/**
 * The organisations of the published data the caller's learners sit in, and every one above them (a
 * division with learners only below it included), in hierarchy order (each followed by those below
 * it); none before a first publish. For granting a viewer subtrees (Users) and for a dashboard's
 * "Organisation and below" filter, which follows a manager's "Reports" (`reach`) as the other
 * filters' values do.
 */
export function useOrganisations(reach: Reach = 'all') {
  return useQuery({
    queryKey: ['organisations', reach],
    queryFn: async (): Promise<Organisation[]> => (await runOperation(OrganisationsQuery, { reach })).organisations,
    // As a filter's values: the hierarchy changes with a publish, not between one dashboard and the next.
    staleTime: 5 * 60_000,
    retry: false,
  });
}

/** From how many organisations a list of them offers a box that narrows it as you type. */
export const ORGANISATIONS_NARROWED_FROM = 100;

/**
 * What is typed, as the text a long list of organisations is narrowed by ('' for a short list, or
 * nothing typed): the whole hierarchy is in the browser, so narrowing asks nothing of the gateway.
 */
export function narrowingText(organisations: number, typed: string): string {
  return organisations > ORGANISATIONS_NARROWED_FROM ? typed.trim().toLowerCase() : '';
}
