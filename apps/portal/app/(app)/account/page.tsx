import type { Metadata } from 'next';
import { readSession } from '../../_server/session';
import { ROLE_LABELS } from '../../_shared/navigation';
import { AccountView } from './_components/account-view';

export const metadata: Metadata = { title: 'Your account' };

/** Anyone signed in: who they are signed in as, their password, and their other sign-ins. */
export default async function AccountPage() {
  const session = await readSession();
  // The layout has sent anyone not signed in to the sign-in page already.
  if (session.state !== 'signed-in') return null;
  const { me } = session;
  return (
    <>
      <h1>Your account</h1>
      <dl className="card facts" aria-label="Signed in as">
        <dt>Email</dt>
        <dd data-testid="account-email">{me.email}</dd>
        {me.displayName ? (
          <>
            <dt>Name</dt>
            <dd>{me.displayName}</dd>
          </>
        ) : null}
        <dt>Role</dt>
        <dd>{me.tenant ? `${ROLE_LABELS[me.role]} of ${me.tenant.name}` : ROLE_LABELS[me.role]}</dd>
      </dl>
      <AccountView />
    </>
  );
}
