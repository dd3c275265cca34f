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

export interface Organisation {
  id: number;
  name: string;
  /** Its LMS ids from the top ('/1/5/9'). */
  path: string;
  /** How deep it sits (1 at the top), for indenting the list. */
  depth: number;
  /** Within the caller's reach; one that is not is there only as the heading of those below it. */
  selectable: boolean;
}

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

/**
 * What the caller's reach is, in words, when it is less than the whole tenant: a viewer's granted
 * organisations (the topmost of those they may choose), a manager's reports and where they sit.
 * Undefined while the list loads, and for a caller who may choose every organisation listed.
 */
export function reachSentence(organisations: readonly Organisation[], isManager: boolean): string | undefined {
  const chosen = organisations.filter((o) => o.selectable);
  if (isManager) {
    return chosen.length
      ? `You see only your reports (in ${someOf(chosen.map((o) => o.name))}): the figures cover only them.`
      : 'You see only your reports: the figures cover only them.';
  }
  if (chosen.length === organisations.length) return undefined;
  const selectable = new Set(chosen.map((o) => o.path));
  const tops = chosen.filter((o) => !selectable.has(o.path.slice(0, o.path.lastIndexOf('/')))).map((o) => o.name);
  return tops.length
    ? `You see only ${someOf(tops)} and what is below ${tops.length === 1 ? 'it' : 'them'}: the figures cover only those.`
    : 'You see only the organisations granted to you: the figures cover only those.';
}

/** 'A', 'A and B', 'A, B and C', 'A, B, C and 4 others'. */
function someOf(names: readonly string[]): string {
  const [shown, rest] = names.length > 4 ? [names.slice(0, 3), `${names.length - 3} others`] : [names.slice(0, -1), names[names.length - 1]];
  return shown.length ? `${shown.join(', ')} and ${rest}` : rest;
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
