import type { NextRequest } from 'next/server';
import { relayToGateway } from '@/app/_server/gateway-relay';

/** A load's quarantined rows as a CSV file (gateway GET /loads/:id/quarantine.csv), streamed. */
export async function GET(request: NextRequest, { params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return relayToGateway(request, { path: `/loads/${encodeURIComponent(id)}/quarantine.csv`, responseHeaders: ['content-disposition'] });
}
