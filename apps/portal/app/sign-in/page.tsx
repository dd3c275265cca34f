import type { Metadata } from 'next';
import { redirect } from 'next/navigation';
import { landingPath, readSession } from '../_server/session';
import { SignInForm } from './sign-in-form';

export const metadata: Metadata = { title: 'Sign in' };

export default async function SignInPage({ searchParams }: { searchParams: Promise<{ expired?: string }> }) {
  const session = await readSession();
  if (session.state === 'signed-in') redirect(landingPath(session.me.role));
  const { expired } = await searchParams;
  return (
    <main className="sign-in">
      <h1>Sign in to Kineo Analytics</h1>
      {expired ? (
        <p className="notice" role="status">
          Your session has ended. Sign in again to continue.
        </p>
      ) : null}
      {session.state === 'unavailable' ? (
        <p className="notice error" role="alert">
          The analytics service is not answering ({session.message}). Sign-in may fail until it is back.
        </p>
      ) : null}
      <SignInForm />
    </main>
  );
}
