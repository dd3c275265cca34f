import type { NextRequest } from 'next/server';
import { relayToGateway } from '@/app/_server/gateway-relay';

/**
 * An org admin's export files, one load per request: the multipart body streams on to the gateway's
 * POST /uploads as it arrives (nothing is held in the portal's memory), with the session's token.
 */
export function POST(request: NextRequest) {
  return relayToGateway(request, { path: '/uploads', body: 'stream', requestHeaders: ['content-type', 'content-length'] });
}
