import { graphql } from '@/generated/browser';
import type { SeatFieldsFragment } from '@/generated/browser/graphql';
import { countOf } from '@/app/_shared/count-of.util';

/** The gateway's `seats`, as the Users page and the onboarding's invitation step read it. */
export const SeatFields = graphql(`
  fragment SeatFields on Seats {
    limit
    used
    members
    invitations
    free
  }
`);

export type Seats = SeatFieldsFragment;

/** What the plan's seats allow, in words: taken, of which members and invitations, and what is free. */
export function seatsSentence(seats: Seats, locale: string): string {
  const count = (n: number) => new Intl.NumberFormat(locale).format(n);
  const people = (n: number, one: string, many: string) => countOf(n, one, many, locale);
  const parts = `${people(seats.members, 'member', 'members')} and ${people(seats.invitations, 'invitation', 'invitations')} pending`;
  if (seats.limit === null || seats.limit === undefined || seats.free === null || seats.free === undefined) {
    return `Seats: ${count(seats.used)} taken (${parts}); the plan sets no limit.`;
  }
  return `Seats: ${count(seats.used)} of ${count(seats.limit)} taken (${parts}); ${count(seats.free)} free.`;
}
