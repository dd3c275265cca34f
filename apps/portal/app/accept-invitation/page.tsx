import type { Metadata } from 'next';
import Link from 'next/link';
import { AcceptInvitationForm } from './accept-invitation-form';

export const metadata: Metadata = { title: 'Accept your invitation' };

export default async function AcceptInvitationPage({ searchParams }: { searchParams: Promise<{ token?: string }> }) {
  const { token } = await searchParams;
  return (
    <main className="sign-in">
      <h1>Accept your invitation</h1>
      {token ? (
        <>
          <p className="lede">Choose a password to finish setting up your Kineo Analytics account. If you already have an account, enter its password.</p>
          <AcceptInvitationForm token={token} />
        </>
      ) : (
        <p className="notice error" role="alert">
          This page needs the link from your invitation e-mail, which ends with <code>?token=…</code>. Open the link again, or ask your administrator for a new
          invitation. <Link href="/sign-in">Sign in</Link> if you already have an account.
        </p>
      )}
    </main>
  );
}
