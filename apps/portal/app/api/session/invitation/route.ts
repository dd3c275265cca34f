import type { NextRequest } from 'next/server';
import { clientHeaders } from '@/app/_server/client-headers';
import { readFields } from '@/app/_server/form-body.util';
import { gatewayRequest } from '@/app/_server/gateway';
import { isSameOrigin, refuseCrossSite } from '@/app/_server/same-origin';
import { AcceptInvitationMutation } from '@/app/_server/session.operations';
import { openSession, problem, refusal } from '@/app/_server/session';

/** Accepts an invitation with the token from its link and signs the person in (the token goes into the cookie). */
export async function POST(request: NextRequest) {
  if (!isSameOrigin(request)) return refuseCrossSite();
  const body = await readFields(request, { token: 'The invitation link', password: 'A password', displayName: 'Your name' }, ['displayName']);
  if (body instanceof Response) return body;
  let reply;
  try {
    reply = await gatewayRequest(AcceptInvitationMutation, { token: body.token!, password: body.password!, displayName: body.displayName?.trim() ?? null }, undefined, clientHeaders(request));
  } catch {
    return problem(503, 'GATEWAY_UNAVAILABLE', 'The analytics service does not answer. Try again shortly.');
  }
  const session = reply.data?.acceptInvitation;
  if (!session) return refusal(reply, 'The invitation could not be accepted.', (code) => (code === 'PASSWORD_WEAK' ? 'password' : undefined));
  return openSession(request, session);
}
