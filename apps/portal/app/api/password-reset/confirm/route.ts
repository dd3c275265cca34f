import type { NextRequest } from 'next/server';
import { clientHeaders } from '@/app/_server/client-headers';
import { readFields } from '@/app/_server/form-body.util';
import { gatewayRequest } from '@/app/_server/gateway';
import { isSameOrigin, refuseCrossSite } from '@/app/_server/same-origin';
import { ResetPasswordMutation } from '@/app/_server/session.operations';
import { problem, refusal } from '@/app/_server/session';

/** Sets a new password with the token from a reset link; the person then signs in with it. */
export async function POST(request: NextRequest) {
  if (!isSameOrigin(request)) return refuseCrossSite();
  const body = await readFields(request, { token: 'The reset link', newPassword: 'A new password' });
  if (body instanceof Response) return body;
  let reply;
  try {
    reply = await gatewayRequest(ResetPasswordMutation, { token: body.token!, newPassword: body.newPassword! }, undefined, clientHeaders(request));
  } catch {
    return problem(503, 'GATEWAY_UNAVAILABLE', 'The analytics service does not answer. Try again shortly.');
  }
  if (!reply.data?.resetPassword) return refusal(reply, 'The password could not be changed.', (code) => (code === 'PASSWORD_WEAK' ? 'newPassword' : undefined));
  return Response.json({ reset: true });
}
