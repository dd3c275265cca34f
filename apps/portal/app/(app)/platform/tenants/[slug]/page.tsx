import type { Metadata } from 'next';
import { TenantDetail } from '../../_components/tenant-detail';

export async function generateMetadata({ params }: { params: Promise<{ slug: string }> }): Promise<Metadata> {
  return { title: `Tenant ${decodeURIComponent((await params).slug)}` };
}

export default async function TenantPage({ params }: { params: Promise<{ slug: string }> }) {
  const { slug } = await params;
  return <TenantDetail slug={decodeURIComponent(slug)} />;
}
