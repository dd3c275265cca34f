'use client';

import { useSyncExternalStore } from 'react';

const subscribe = () => () => {};

/**
 * The reader's locale for numbers and dates. The gateway does not say which locale a tenant uses,
 * so the browser's is the best guess; the server render uses the page's language until hydration.
 */
export function useLocale(): string {
  return useSyncExternalStore(
    subscribe,
    () => navigator.language || 'en-GB',
    () => 'en-GB',
  );
}
