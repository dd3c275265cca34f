import type { NextRequest } from 'next/server';
import { relayToGateway } from '@/app/_server/gateway-relay';

/**
 * The gateway's queues screen (bull-board, Kineo ops only) at the portal's own /ops/queues: each
 * request of the board (its page, its scripts, its API and its buttons) goes to the gateway's
 * /ops/queues with the session's bearer token, which a browser cannot send on a page load, and the
 * gateway refuses anyone but ops. Buttons that change a job must come from a page of the portal.
 */
async function relay(request: NextRequest, context: { params: Promise<{ path?: string[] }> }): Promise<Response> {
  const { path = [] } = await context.params;
  const rest = path.map(encodeURIComponent).join('/');
  return relayToGateway(request, {
    path: `/ops/queues/${rest}${request.nextUrl.search}`,
    body: request.method === 'GET' || request.method === 'HEAD' ? 'none' : 'text',
    requestHeaders: ['content-type', 'accept'],
    responseHeaders: ['location'],
  });
}

export { relay as GET, relay as POST, relay as PUT, relay as PATCH, relay as DELETE };
