import type { NextRequest } from 'next/server';
import { clientHeaders } from '@/app/_server/client-headers';
import { readFields } from '@/app/_server/form-body.util';
import { gatewayRequest } from '@/app/_server/gateway';
import { isSameOrigin, refuseCrossSite } from '@/app/_server/same-origin';
import { RequestPasswordResetMutation } from '@/app/_server/session.operations';
import { problem, refusal } from '@/app/_server/session';

/** Asks for a reset link; the answer is the same whether or not the address has an account. */
export async function POST(request: NextRequest) {
  if (!isSameOrigin(request)) return refuseCrossSite();
  const body = await readFields(request, { email: 'Your email address' });
  if (body instanceof Response) return body;
  let reply;
  try {
    reply = await gatewayRequest(RequestPasswordResetMutation, { email: body.email!.trim() }, undefined, clientHeaders(request));
  } catch {
    return problem(503, 'GATEWAY_UNAVAILABLE', 'The analytics service does not answer. Try again shortly.');
  }
  if (!reply.data?.requestPasswordReset) return refusal(reply, 'The reset link could not be sent.', () => 'email');
  return Response.json({ sent: true });
}
