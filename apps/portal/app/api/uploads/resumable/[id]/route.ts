import type { NextRequest } from 'next/server';
import { relayToGateway } from '@/app/_server/gateway-relay';
import { tusRelay } from '../tus.util';

interface Params {
  params: Promise<{ id: string }>;
}

/** How much of the upload arrived (to resume after a dropped connection). */
export async function HEAD(request: NextRequest, { params }: Params) {
  return relayToGateway(request, { ...tusRelay((await params).id), body: 'none' });
}

/** The next bytes of the file, streamed through to the gateway. */
export async function PATCH(request: NextRequest, { params }: Params) {
  return relayToGateway(request, tusRelay((await params).id));
}

/** Drops an upload the admin removed from the list. */
export async function DELETE(request: NextRequest, { params }: Params) {
  return relayToGateway(request, { ...tusRelay((await params).id), body: 'none' });
}
