'use client';

import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useEffect, useRef, useState } from 'react';
import { postJson } from '../../_client/post-json.util';

/**
 * The gateway lands here after Microsoft sign-in with the session (or the refusal) in the URL's
 * fragment. The fragment is wiped from the address bar and history at once, and the token is handed
 * to the portal's server, which keeps it only in the httpOnly cookie.
 */
export function MicrosoftCallback() {
  const router = useRouter();
  const [failure, setFailure] = useState<string | null>(null);
  const once = useRef(false);

  useEffect(() => {
    if (once.current) return;
    once.current = true;
    const fragment = new URLSearchParams(window.location.hash.slice(1));
    window.history.replaceState(null, '', window.location.pathname);
    const token = fragment.get('token');
    if (!token) {
      setFailure(fragment.get('message') ?? 'Microsoft sign-in did not complete: this page was opened without a sign-in result.');
      return;
    }
    void postJson<{ landing: string }>('/api/session/callback', { token, expiresAt: fragment.get('expiresAt') }).then((result) => {
      if (!result.ok) return setFailure(result.problem.message);
      router.replace(result.body.landing);
      router.refresh();
    });
  }, [router]);

  if (!failure) {
    return (
      <p className="notice" role="status">
        Completing your sign-in…
      </p>
    );
  }
  return (
    <>
      <p className="notice error" role="alert">
        {failure}
      </p>
      <p>
        <Link className="button primary" href="/sign-in">
          Back to sign in
        </Link>
      </p>
    </>
  );
}
