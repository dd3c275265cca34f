import type { TypedDocumentString } from '@/generated/browser/graphql';
import { signInPath } from '@/app/_shared/return-to';

export class OperationError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly status: number,
    /** The gateway's extensions beside the code, e.g. `argument: 'input.slug'` naming the field at fault. */
    readonly extensions: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'OperationError';
  }
}

/**
 * Runs one of the portal's operations through the portal's own server (/api/graphql), by its
 * persisted hash. The browser holds no token: the httpOnly cookie travels with the request.
 */
export async function runOperation<TResult, TVariables>(
  document: TypedDocumentString<TResult, TVariables>,
  ...[variables]: TVariables extends Record<string, never> ? [] | [TVariables] : [TVariables]
): Promise<TResult> {
  const documentId = (document.__meta__ as { hash?: string } | undefined)?.hash;
  if (!documentId) throw new OperationError('This operation is not in the portal build; run the GraphQL codegen.', 'UNKNOWN_OPERATION', 0);
  const res = await fetch('/api/graphql', {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ documentId, variables: variables ?? {} }),
  });
  const body = (await res.json().catch(() => ({}))) as {
    data?: TResult | null;
    errors?: Array<{ message: string; extensions?: { code?: string } & Record<string, unknown> }>;
  };
  const first = body.errors?.[0];
  if (first) {
    const code = first.extensions?.code ?? 'INTERNAL';
    // A query still in flight when the user signed out answers UNAUTHENTICATED too: only a page that is
    // not already the sign-in page is sent there, or it would race the user's next navigation.
    const ended = code === 'UNAUTHENTICATED' ? 'expired' : code === 'TENANT_SUSPENDED' ? 'suspended' : undefined;
    if (ended && !window.location.pathname.startsWith('/sign-in')) window.location.assign(signInPath(ended, `${window.location.pathname}${window.location.search}`));
    throw new OperationError(first.message, code, res.status, first.extensions ?? {});
  }
  if (!res.ok || !body.data) throw new OperationError(`The portal answered HTTP ${res.status}.`, 'INTERNAL', res.status);
  return body.data;
}
