import type { NextRequest } from 'next/server';
import { relayToGateway } from '@/app/_server/gateway-relay';

/**
 * CSV and XLSX exports: the request (a tile's query as shown, or a drill list) goes to the gateway's
 * POST /exports with the session's bearer token, and the file streams back as the gateway writes it.
 */
export function POST(request: NextRequest) {
  return relayToGateway(request, {
    path: '/exports',
    body: 'text',
    requestHeaders: ['content-type'],
    responseHeaders: ['content-disposition', 'x-kineo-data-version', 'x-kineo-as-of', 'x-kineo-partial-period', 'x-kineo-partial-start'],
  });
}
