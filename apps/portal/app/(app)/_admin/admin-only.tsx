import type { ReactNode } from 'react';
import { readSession } from '@/app/_server/session';

/** The organisation's account screens: an org admin's only (the gateway refuses everyone else's calls as well). */
export async function AdminOnly({ children }: { children: ReactNode }) {
  const session = await readSession();
  if (session.state === 'signed-in' && session.me.role === 'org_admin') return <>{children}</>;
  return (
    <p className="notice error" role="alert">
      This page is for your organisation&rsquo;s administrators. Ask one of them if you need something changed.
    </p>
  );
}
