import 'server-only';
import { gatewayUrl } from './gateway-health';

/** What a typed document from the codegen output carries: its text, and its result and variables types. */
export interface TypedDocument<TResult, TVariables> {
  toString(): string;
  __apiType?: (variables: TVariables) => TResult;
}

export interface GraphqlError {
  message: string;
  extensions?: { code?: string; requestId?: string };
}

export interface GraphqlReply<TResult> {
  status: number;
  data?: TResult | null;
  errors?: GraphqlError[];
}

/** Long enough for an uncached dashboard of a large tenant (the gateway's own warehouse limit ends a longer one with a clear error). */
const TIMEOUT_MS = 30_000;

/** Posts a document to the gateway's /graphql, with the caller's session token when there is one. */
export async function postToGateway(query: string, variables: unknown, token?: string, headers: Record<string, string> = {}, timeoutMs = TIMEOUT_MS): Promise<Response> {
  return fetch(`${gatewayUrl()}/graphql`, {
    method: 'POST',
    cache: 'no-store',
    signal: AbortSignal.timeout(timeoutMs),
    headers: {
      'content-type': 'application/json',
      accept: 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...headers,
    },
    body: JSON.stringify({ query, variables: variables ?? {} }),
  });
}

export async function gatewayRequest<TResult, TVariables>(
  document: TypedDocument<TResult, TVariables>,
  variables: TVariables,
  token?: string,
  headers: Record<string, string> = {},
  timeoutMs?: number,
): Promise<GraphqlReply<TResult>> {
  const res = await postToGateway(document.toString(), variables, token, headers, timeoutMs);
  const body = (await res.json().catch(() => ({}))) as { data?: TResult | null; errors?: GraphqlError[] };
  return { status: res.status, data: body.data, errors: body.errors };
}

export function errorCode(reply: GraphqlReply<unknown>): string | undefined {
  return reply.errors?.[0]?.extensions?.code;
}
