/**
 * A GraphQL request straight to the gateway: for setting up what the portal has no screen for, or
 * for what someone else does while a page is open.
 */
export async function gateway<T>(url: string, query: string, token?: string): Promise<T> {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query }),
  });
  const body = (await res.json()) as { data?: T; errors?: unknown };
  if (!body.data) throw new Error(`gateway refused ${query}: ${JSON.stringify(body.errors)}`);
  return body.data;
}
