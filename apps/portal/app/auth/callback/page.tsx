import type { Metadata } from 'next';
import { MicrosoftCallback } from './microsoft-callback';

export const metadata: Metadata = { title: 'Signing in' };

export default function AuthCallbackPage() {
  return (
    <main className="sign-in">
      <h1>Signing in with Microsoft</h1>
      <MicrosoftCallback />
    </main>
  );
}
