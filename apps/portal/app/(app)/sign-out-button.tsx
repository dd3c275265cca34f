'use client';

import { useQueryClient } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import { useState } from 'react';

export function SignOutButton() {
  const router = useRouter();
  const queryClient = useQueryClient();
  const [pending, setPending] = useState(false);
  const [failed, setFailed] = useState(false);

  async function signOut() {
    setPending(true);
    setFailed(false);
    try {
      const res = await fetch('/api/session', { method: 'DELETE', credentials: 'same-origin' });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      // Nothing of the last user's data stays in this tab.
      queryClient.clear();
      router.replace('/sign-in');
      router.refresh();
    } catch {
      setFailed(true);
      setPending(false);
    }
  }

  return (
    <>
      <button type="button" className="button" onClick={() => void signOut()} disabled={pending}>
        {pending ? 'Signing out…' : 'Sign out'}
      </button>
      {failed ? (
        <span role="alert" className="error-text">
          Sign-out failed; try again.
        </span>
      ) : null}
    </>
  );
}
