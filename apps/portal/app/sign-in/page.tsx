import type { Metadata } from 'next';
import Link from 'next/link';
import { cookies } from 'next/headers';
import { redirect } from 'next/navigation';
import { gatewayRequest } from '../_server/gateway';
import { SignInOptionsQuery } from '../_server/session.operations';
import { landingPath, readSession } from '../_server/session';
import { RETURN_TO_PARAM, safeReturnPath, SIGN_IN_TENANT_COOKIE, TENANT_SLUG } from '../_shared/return-to';
import { SignInForm } from './sign-in-form';

export const metadata: Metadata = { title: 'Sign in' };

/** Whether the organisation named in the link (?tenant=<slug>) signs in with Microsoft; false when it cannot be told. */
async function microsoftFor(tenant: string | undefined): Promise<boolean> {
  if (!tenant || !TENANT_SLUG.test(tenant)) return false;
  try {
    const reply = await gatewayRequest(SignInOptionsQuery, { tenant });
    return reply.data?.tenantSignInOptions.microsoft ?? false;
  } catch {
    return false;
  }
}

/** Microsoft sign-in's first step, through the portal so the page to return to survives the round trip. */
function microsoftStart(tenant: string, returnTo: string | undefined): string {
  const params = new URLSearchParams({ tenant });
  if (returnTo) params.set(RETURN_TO_PARAM, returnTo);
  return `/api/session/microsoft?${params.toString()}`;
}

export default async function SignInPage({ searchParams }: { searchParams: Promise<{ expired?: string; suspended?: string; tenant?: string; next?: string }> }) {
  const session = await readSession();
  const { expired, suspended, next } = await searchParams;
  // The organisation in the link, or the one this browser last signed in to with Microsoft.
  const tenant = (await searchParams).tenant ?? (await cookies()).get(SIGN_IN_TENANT_COOKIE)?.value;
  // The page the link or the ended session was on, if it is one of the portal's.
  const returnTo = safeReturnPath(next);
  if (session.state === 'signed-in') redirect(returnTo ?? landingPath(session.me.role));
  const microsoft = await microsoftFor(tenant);
  return (
    <main className="sign-in">
      <h1>Sign in to Kineo Analytics</h1>
      {suspended ? (
        <p className="notice error" role="alert" data-testid="tenant-suspended">
          Your organisation&rsquo;s access to Kineo Analytics is suspended: until it is restored, Kineo Analytics refuses every request from your
          organisation, signing in included. Your organisation&rsquo;s Kineo administrator can ask Kineo support to restore it; once it is, you can
          carry on where you were (a session that has not expired works again).
        </p>
      ) : expired ? (
        <p className="notice" role="status">
          Your session has ended. Sign in again to continue.
        </p>
      ) : null}
      {session.state === 'unavailable' ? (
        <p className="notice error" role="alert">
          The analytics service is not answering ({session.message}). Sign-in may fail until it is back.
        </p>
      ) : null}
      {microsoft && tenant ? (
        <p>
          {/* A plain link: the portal notes where to come back to, and the gateway sends the browser on to the organisation's Microsoft sign-in. */}
          <a className="button microsoft" href={microsoftStart(tenant, returnTo)}>
            Sign in with Microsoft
          </a>
        </p>
      ) : null}
      <SignInForm tenant={tenant && TENANT_SLUG.test(tenant) ? tenant : undefined} returnTo={returnTo} />
      <p className="hint">
        <Link href="/reset-password">Forgot your password?</Link>
      </p>
    </main>
  );
}
