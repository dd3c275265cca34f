import type { NextRequest } from 'next/server';
import { relayToGateway } from '@/app/_server/gateway-relay';

/** Loads the files sent with the resumable endpoint, once each arrived whole (gateway POST /uploads/complete). */
export function POST(request: NextRequest) {
  return relayToGateway(request, { path: '/uploads/complete', body: 'text', requestHeaders: ['content-type'] });
}
