import 'server-only';
import { problem } from './session';

/**
 * The named text fields of a JSON request body, each required unless listed as optional; a missing
 * one is refused naming the field, so the form can put the message next to it.
 */
export async function readFields<K extends string>(
  request: Request,
  labels: Record<K, string>,
  optional: readonly NoInfer<K>[] = [],
): Promise<Record<K, string | undefined> | Response> {
  const raw = (await request.json().catch(() => undefined)) as Record<string, unknown> | undefined;
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return problem(400, 'BAD_REQUEST', 'The request must be a JSON object.');
  const out = {} as Record<K, string | undefined>;
  for (const key of Object.keys(labels) as K[]) {
    const value = raw[key];
    if (value !== undefined && value !== null && typeof value !== 'string') return problem(400, 'BAD_REQUEST', `${labels[key]} must be text.`, key);
    const text = typeof value === 'string' && value.trim() ? value : undefined;
    if (!text && !optional.includes(key)) return problem(400, 'BAD_REQUEST', `Enter ${labels[key].toLowerCase()}.`, key);
    out[key] = text;
  }
  return out;
}
