import type { Metadata } from 'next';
import { Suspense } from 'react';
import { readSession } from '@/app/_server/session';
import { DashboardView } from '../_components/dashboard-view';
import { DashboardSkeleton } from '../_components/skeleton';

export async function generateMetadata({ params }: { params: Promise<{ dashboard: string }> }): Promise<Metadata> {
  const { dashboard } = await params;
  return { title: dashboard.replace(/-/g, ' ').replace(/^./, (c) => c.toUpperCase()) };
}

export default async function DashboardPage({ params }: { params: Promise<{ dashboard: string }> }) {
  const { dashboard } = await params;
  const session = await readSession();
  const isManager = session.state === 'signed-in' && session.me.role === 'manager';
  const isAdmin = session.state === 'signed-in' && session.me.role === 'org_admin';
  return (
    <Suspense fallback={<DashboardSkeleton />}>
      <DashboardView id={dashboard} isManager={isManager} isAdmin={isAdmin} />
    </Suspense>
  );
}
