'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { runOperation } from '@/app/_client/graphql-client';
import { seatsSentence } from '@/app/_client/seats';
import { countOf } from '@/app/_shared/count-of.util';
import type { InviteAllManagersMutation as InviteAllManagersResult } from '@/generated/browser/graphql';
import { useLocale } from '../../dashboards/_components/use-locale';
import { InviteAllManagersMutation, SeatsQuery } from './onboarding.operations';

type Outcome = InviteAllManagersResult['inviteAllManagers'];

/** What inviting every manager did, in words: each manager of the hierarchy counted once, under the first reason that applies. */
function outcomeSentence(result: Outcome, locale: string): string {
  const number = (n: number) => new Intl.NumberFormat(locale).format(n);
  const counted = [
    countOf(result.alreadyMembers, 'already a member', 'already members', locale),
    // Counted apart from the members: they cannot sign in, and were not invited again either.
    result.deactivatedMembers ? `${number(result.deactivatedMembers)} deactivated (reactivate them on the Users page to give them access)` : '',
    `${number(result.alreadyInvited)} already invited`,
    `${number(result.withoutEmail)} without an e-mail address in the LMS`,
    result.sharedEmail ? `${number(result.sharedEmail)} sharing an address with another manager` : '',
    result.membersWithOtherAccess
      ? `${number(result.membersWithOtherAccess)} whose address is a member's with another role or LMS person (change their role on the Users page to make them this manager)`
      : '',
  ];
  const managers = countOf(result.managers, 'manager', 'managers', locale);
  return `${number(result.invited)} invited of ${managers} in the hierarchy; ${counted.filter(Boolean).join(', ')}.`;
}

/** Step 4: every manager the published hierarchy knows, invited in one action, the plan's seats in sight. */
export function InviteManagersStep({ published }: { published: boolean }) {
  const client = useQueryClient();
  const locale = useLocale();
  const seats = useQuery({ queryKey: ['seats'], queryFn: () => runOperation(SeatsQuery) });
  const invite = useMutation({
    mutationFn: () => runOperation(InviteAllManagersMutation),
    // Whatever the answer, the seats may have changed (or someone else took them): read them again.
    onSettled: () => client.invalidateQueries({ queryKey: ['seats'] }),
  });
  const result = invite.data?.inviteAllManagers;
  return (
    <section className="card step" aria-labelledby="step-invite">
      <h2 id="step-invite">4. Invite your managers</h2>
      <p>
        Each manager sees the dashboards of the people below them in the hierarchy. Invite them all at once, or one by one on the{' '}
        <Link href="/users">Users</Link> page. Each invitation takes one of the plan&apos;s seats; if they do not all fit, none is sent and the
        message says how many are free.
      </p>
      {seats.data ? (
        <p className="hint" data-testid="seats">
          {seatsSentence(seats.data.seats, locale)}
        </p>
      ) : null}
      <button type="button" className="button primary" onClick={() => invite.mutate()} disabled={!published || invite.isPending}>
        {invite.isPending ? 'Inviting…' : 'Invite every manager in the hierarchy'}
      </button>
      {!published ? <p className="hint">Available once a load has published: the managers come from the published data.</p> : null}
      {invite.error ? (
        <p className="notice error" role="alert">
          {invite.error.message}
        </p>
      ) : null}
      {result ? (
        <div className="notice" role="status">
          <p>{outcomeSentence(result, locale)}</p>
          {result.invitations.some((i) => i.delivery === 'logged') ? (
            <details>
              <summary>No mail server is set up: the links to pass on</summary>
              <ul className="links">
                {result.invitations.map((i) => (
                  <li key={i.id}>
                    {i.email}: <code>{i.link}</code>
                  </li>
                ))}
              </ul>
            </details>
          ) : null}
        </div>
      ) : null}
    </section>
  );
}
