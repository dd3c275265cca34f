'use client';

import { useRouter } from 'next/navigation';
import { useEffect, useState } from 'react';

/** How often the page asks again while the analytics service does not answer. */
const RETRY_EVERY_MS = 5_000;

/**
 * While the analytics service does not answer, the page asks again by itself every few seconds (a
 * restart takes a few) and comes back as it was once it answers; "Try again now" does not wait.
 */
export function UnavailableRetry() {
  const router = useRouter();
  const [tries, setTries] = useState(0);
  useEffect(() => {
    const timer = setInterval(() => {
      setTries((n) => n + 1);
      router.refresh();
    }, RETRY_EVERY_MS);
    return () => clearInterval(timer);
  }, [router]);
  return (
    <>
      <p className="hint" aria-live="polite">
        This page tries again every {RETRY_EVERY_MS / 1000} seconds{tries > 0 ? ` (tried ${tries} time${tries === 1 ? '' : 's'})` : ''}, and shows itself once the service answers.
      </p>
      <button type="button" className="button primary" onClick={() => router.refresh()}>
        Try again now
      </button>
    </>
  );
}
