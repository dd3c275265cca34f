import Link from 'next/link';
import { headers } from 'next/headers';
import { redirect } from 'next/navigation';
import type { ReactNode } from 'react';
import { readMyDashboards, readSession, signInPath } from '../_server/session';
import { LocaleProvider } from '../_client/locale-context';
import { navigationFor, navigationOnItsOwnLine, ROLE_LABELS } from '../_shared/navigation';
import { RETURN_TO_HEADER } from '../_shared/return-to';
import { NavLinks } from './nav-links';
import { ServiceFooter } from './service-footer';
import { SignOutButton } from './sign-out-button';
import { UnavailableRetry } from './unavailable-retry';

/** Every signed-in screen: the session is checked with the gateway before anything renders. */
export default async function AppLayout({ children }: { children: ReactNode }) {
  const session = await readSession();
  // Signed in again, they come back to the page they asked for (proxy.ts passes it on).
  if (session.state === 'signed-out') redirect(signInPath(session.reason, (await headers()).get(RETURN_TO_HEADER) ?? undefined));
  if (session.state === 'unavailable') {
    return (
      <main className="page">
        <h1>Kineo Analytics is unavailable</h1>
        <p className="notice error" role="alert">
          The analytics service is not answering ({session.message}). Try again in a moment.
        </p>
        <UnavailableRetry />
      </main>
    );
  }
  const { me } = session;
  const dashboards = await readMyDashboards(me.role);
  const navigation = navigationFor(me.role, dashboards);
  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar" data-nav={navigationOnItsOwnLine(navigation) ? 'own-line' : 'beside'}>
        <div className="brand">
          <span className="product">Kineo Analytics</span>
          <span className="tenant" data-testid="tenant-name">
            {me.tenant ? me.tenant.name : 'Kineo platform'}
          </span>
        </div>
        <nav aria-label="Main">
          <NavLinks items={navigation} />
        </nav>
        <div className="account">
          {/* Who is signed in, and the way to their account page (password, other sign-ins). */}
          <Link className="who" href="/account">
            <span className="email">{me.displayName ?? me.email}</span>
            <span className="role">{ROLE_LABELS[me.role]}</span>
            <span className="visually-hidden">(your account)</span>
          </Link>
          <SignOutButton />
        </div>
      </header>
      <main id="main" className="content" tabIndex={-1}>
        <LocaleProvider locale={me.locale} fiscalYearStartMonth={me.fiscalYearStartMonth}>
          {children}
        </LocaleProvider>
      </main>
      <ServiceFooter />
    </div>
  );
}
