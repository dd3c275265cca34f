import type { Metadata } from 'next';
import { notFound } from 'next/navigation';

const TITLES: Record<string, string> = { 'my-team': 'My team', 'course-completion': 'Course completion' };

export async function generateMetadata({ params }: { params: Promise<{ dashboard: string }> }): Promise<Metadata> {
  const { dashboard } = await params;
  return { title: TITLES[dashboard] ?? 'Dashboard' };
}

export default async function DashboardPage({ params }: { params: Promise<{ dashboard: string }> }) {
  const { dashboard } = await params;
  const title = TITLES[dashboard];
  if (!title) notFound();
  return (
    <>
      <h1>{title}</h1>
      <p className="notice" role="status">
        This gateway does not serve dashboards yet.
      </p>
    </>
  );
}
