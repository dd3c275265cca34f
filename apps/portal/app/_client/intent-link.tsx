'use client';

import Link from 'next/link';
import { useState, type ComponentProps } from 'react';

/**
 * A link that prefetches its page only once someone points at it or tabs to it, for the links a
 * screen holds by the dozen (a table's cells, the fleet's tenants). Next's `Link` prefetches every
 * link that scrolls into view: a page of a hundred learners, each figure a link to the learners
 * behind it, sent hundreds of requests to the portal's server (each one its session checked with the
 * gateway) that nobody had asked for, on every page of the table. The pattern is Next's own
 * ("Hover-triggered prefetch" in its prefetching guide): `false` until the intent, then the default.
 */
export function IntentLink({ onMouseEnter, onFocus, onTouchStart, ...props }: Omit<ComponentProps<typeof Link>, 'prefetch'>) {
  const [intent, setIntent] = useState(false);
  return (
    <Link
      {...props}
      prefetch={intent ? null : false}
      onMouseEnter={(event) => {
        setIntent(true);
        onMouseEnter?.(event);
      }}
      onFocus={(event) => {
        setIntent(true);
        onFocus?.(event);
      }}
      onTouchStart={(event) => {
        setIntent(true);
        onTouchStart?.(event);
      }}
    />
  );
}
