'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { runOperation } from '@/app/_client/graphql-client';
import { seatsSentence } from '@/app/_client/seats';
import { useLocale } from '../../dashboards/_components/use-locale';
import { InviteAllManagersMutation, SeatsQuery } from './onboarding.operations';

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
          <p>
            {result.invited} invited of {result.managers} managers in the hierarchy; {result.alreadyMembers} already members, {result.alreadyInvited} already
            invited, {result.withoutEmail} without an e-mail address in the LMS{result.sharedEmail ? `, ${result.sharedEmail} sharing an address with another manager` : ''}
            {result.membersWithOtherAccess
              ? `, ${result.membersWithOtherAccess} whose address is a member's with another role or LMS person (change their role on the Users page to make them this manager)`
              : ''}
            .
          </p>
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
