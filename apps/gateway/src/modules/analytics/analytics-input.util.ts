/**
 * GraphQL hands unset optional fields over as null; the semantic layer treats a member that is
 * present as given, so nulls are dropped from objects (never from lists, where null is a value).
 */
export function withoutNulls<T>(value: T): T {
  if (Array.isArray(value)) return (value as unknown[]).map((v) => (v !== null && typeof v === 'object' ? withoutNulls(v) : v)) as T;
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    if (v === null || v === undefined) continue;
    out[key] = typeof v === 'object' ? withoutNulls(v) : v;
  }
  return out as T;
}
