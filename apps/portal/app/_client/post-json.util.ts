export interface FormProblem {
  message: string;
  code?: string;
  /** The field the problem is about, when it is about one. */
  field?: string;
}

export type PostResult<T> = { ok: true; body: T } | { ok: false; problem: FormProblem };

/** Posts a form's fields as JSON to one of the portal's own routes; a refusal comes back as what to show. */
export async function postJson<T>(url: string, body: unknown): Promise<PostResult<T>> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  } catch {
    return { ok: false, problem: { message: 'The portal could not be reached. Check your connection and try again.' } };
  }
  const answer = (await res.json().catch(() => ({}))) as Partial<FormProblem> & T;
  if (res.ok) return { ok: true, body: answer };
  return { ok: false, problem: { message: answer.message ?? `The request failed (HTTP ${res.status}).`, code: answer.code, field: answer.field } };
}
