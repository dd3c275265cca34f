import type { Metadata } from 'next';

export const metadata: Metadata = { title: 'Platform' };

export default function PlatformPage() {
  return (
    <>
      <h1>Platform</h1>
      <p>
        You are signed in as Kineo ops. A platform session sees every tenant&rsquo;s metadata and no learner rows, so it
        has no dashboards. Tenants, loads and users are managed with the <code>kineo</code> CLI.
      </p>
    </>
  );
}
