import 'server-only';
import type { RelayOptions } from '@/app/_server/gateway-relay';

/** The tus protocol's headers, both ways; the browser's tus client speaks to the portal, the portal to the gateway. */
const TUS_REQUEST = ['tus-resumable', 'upload-length', 'upload-metadata', 'upload-offset', 'content-type', 'content-length'] as const;
const TUS_RESPONSE = ['tus-resumable', 'tus-version', 'tus-extension', 'tus-max-size', 'location', 'upload-offset', 'upload-length', 'upload-expires', 'upload-metadata'] as const;

export const PORTAL_TUS_PATH = '/api/uploads/resumable';
const GATEWAY_TUS_PATH = '/uploads/resumable';

/** The gateway answers with its own upload URL; the browser must come back to the portal's instead. */
function portalLocation(location: string): string {
  const id = location.split('?')[0].split('/').pop() ?? '';
  return `${PORTAL_TUS_PATH}/${encodeURIComponent(id)}`;
}

export function tusRelay(uploadId?: string): RelayOptions {
  return {
    path: uploadId === undefined ? GATEWAY_TUS_PATH : `${GATEWAY_TUS_PATH}/${encodeURIComponent(uploadId)}`,
    body: 'stream',
    requestHeaders: TUS_REQUEST,
    responseHeaders: TUS_RESPONSE,
    rewrite: { location: portalLocation },
  };
}
