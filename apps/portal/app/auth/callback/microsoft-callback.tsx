'use client';

import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useEffect, useRef, useState } from 'react';
import { postJson } from '../../_client/post-json.util';

/**
 * What a failed sign-in's code (and, for FORBIDDEN, its reason) means, in the portal's own words.
 * Anyone can put anything in a link's fragment: no text from it is ever shown.
 */
const FAILURES = new Map<string, string>(Object.entries({
  'FORBIDDEN:not_a_member': 'Your Microsoft account has no access to this organisation. Ask your administrator for an invitation, then sign in with Microsoft again.',
  'FORBIDDEN:domain_not_allowed': "Your Microsoft account's e-mail domain may not sign in to this organisation. Sign in with an address of your organisation, or ask your administrator.",
  FORBIDDEN: 'Your Microsoft account may not sign in to this organisation. Ask your administrator.',
  OIDC_FAILED: 'Microsoft sign-in did not complete (it may have taken longer than 10 minutes); sign in again.',
  OIDC_NOT_CONFIGURED: 'This organisation does not use Microsoft sign-in; sign in with your e-mail and password.',
  OIDC_UNAVAILABLE: 'Microsoft sign-in is not working for this organisation at the moment. Ask your administrator, or sign in with your e-mail and password.',
  TENANT_SUSPENDED: "This organisation's Kineo Analytics access is suspended or has ended. Ask your administrator.",
  INTERNAL: 'Microsoft sign-in failed on our side; try again, or sign in with your password.',
}));
const UNKNOWN_FAILURE = 'Microsoft sign-in did not complete; try again or ask your administrator.';
const NO_RESULT = 'Microsoft sign-in did not complete: this page was opened without a sign-in result.';

/** The portal's wording for a failure named in the fragment. */
export function failureMessage(fragment: URLSearchParams): string {
  const code = fragment.get('error');
  if (!code) return NO_RESULT;
  const reason = fragment.get('reason');
  return (reason ? FAILURES.get(`${code}:${reason}`) : undefined) ?? FAILURES.get(code) ?? UNKNOWN_FAILURE;
}

/**
 * The gateway lands here after Microsoft sign-in with a code (or the refusal's error code) in the
 * URL's fragment: no token. The fragment is wiped from the address bar and history at once, and the
 * code is handed to the portal's server, which redeems it for the session (kept only in the httpOnly
 * cookie) only when this browser started that sign-in.
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
    const code = fragment.get('code');
    if (!code) {
      setFailure(failureMessage(fragment));
      return;
    }
    void postJson<{ landing: string }>('/api/session/callback', { code }).then((result) => {
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
