import type { JobDefinition, JobPayload } from './definitions';
import { JobPayloadError } from './errors';

/** Validates a payload against its job's schema; used at enqueue time and again at process time. */
export function parsePayload<D extends JobDefinition>(definition: D, payload: unknown): JobPayload<D> {
  const envelope = payload as { v?: unknown; data?: unknown } | null;
  const data = envelope && typeof envelope === 'object' && 'data' in envelope ? envelope.data : payload;
  if (envelope && typeof envelope === 'object' && 'v' in envelope && !readsVersion(definition, envelope.v)) {
    const older = definition.reads?.length ? ` (nor the older ${definition.reads.join(', ')} it still reads)` : '';
    throw new JobPayloadError(definition.name, [`version ${String(envelope.v)} is not the supported ${definition.version}${older}`]);
  }
  const parsed = definition.schema.safeParse(data);
  if (!parsed.success) {
    throw new JobPayloadError(
      definition.name,
      parsed.error.issues.map((i) => `${i.path.join('.') || '(payload)'}: ${i.message}`),
    );
  }
  return parsed.data as JobPayload<D>;
}

/** The current version, or an older one the definition says its schema still reads. */
function readsVersion(definition: JobDefinition, v: unknown): boolean {
  return v === definition.version || (typeof v === 'number' && (definition.reads ?? []).includes(v));
}
