import type { NextRequest } from 'next/server';
import { relayToGateway } from '@/app/_server/gateway-relay';
import { tusRelay } from './tus.util';

/** Creates a resumable (tus) upload of a large export file at the gateway, for the signed-in org admin. */
export function POST(request: NextRequest) {
  return relayToGateway(request, tusRelay());
}

export function OPTIONS(request: NextRequest) {
  return relayToGateway(request, { ...tusRelay(), body: 'none' });
}
