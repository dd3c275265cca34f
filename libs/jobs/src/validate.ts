import type { JobDefinition, JobPayload } from './definitions';
import { JobPayloadError } from './errors';

/** Validates a payload against its job's schema; used at enqueue time and again at process time. */
export function parsePayload<D extends JobDefinition>(definition: D, payload: unknown): JobPayload<D> {
  const envelope = payload as { v?: unknown; data?: unknown } | null;
  const data = envelope && typeof envelope === 'object' && 'data' in envelope ? envelope.data : payload;
  if (envelope && typeof envelope === 'object' && 'v' in envelope && envelope.v !== definition.version) {
    throw new JobPayloadError(definition.name, [`version ${String(envelope.v)} is not the supported ${definition.version}`]);
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
