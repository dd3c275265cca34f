import type { Metadata } from 'next';
import { RequestResetForm, SetPasswordForm } from './reset-password-forms';

export const metadata: Metadata = { title: 'Reset your password' };

/** Without a token: ask for a link. With the link's token: choose the new password. */
export default async function ResetPasswordPage({ searchParams }: { searchParams: Promise<{ token?: string }> }) {
  const { token } = await searchParams;
  return (
    <main className="sign-in">
      <h1>{token ? 'Choose a new password' : 'Reset your password'}</h1>
      {token ? <SetPasswordForm token={token} /> : <RequestResetForm />}
    </main>
  );
}
