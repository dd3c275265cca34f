import type { Metadata } from 'next';
import { Suspense } from 'react';
import { LearnersView } from '../../_components/learners-view';

export const metadata: Metadata = { title: 'Learners' };

export default async function LearnersPage({ params }: { params: Promise<{ dashboard: string }> }) {
  const { dashboard } = await params;
  return (
    <Suspense>
      <LearnersView id={dashboard} />
    </Suspense>
  );
}
