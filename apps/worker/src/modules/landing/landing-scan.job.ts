import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { requestLoad, type JobQueues } from '@kineo/jobs';
import { PlanLimitError, UploadTooLargeError, type PrismaClient } from '@kineo/db';
import type { LandingStore } from '@kineo/landing';
import type { JobContext } from '../../engine/job-handler.registry';

export const LANDING_INCOMING = 'incoming';
export const READY_MARKER = /^ready(\.txt)?$/i;

export interface LandingScanDeps {
  prisma: PrismaClient;
  queues: JobQueues;
  dataDir: string;
  landing: LandingStore;
  /** UPLOAD_MAX_BYTES: the ceiling on every plan's upload limit. */
  uploadMaxBytes?: number;
}

/**
 * A tenant (or its LMS's export job) may drop files into `landing/<namespace>/incoming/` and then
 * a file named READY. The drop becomes a load: the files move into a folder of their own, so a
 * half-copied drop is never read and a new drop can start at once.
 *
 * A drop folder is a local landing store's only: with LANDING_STORE=azure-blob the worker's disk is
 * its own and passing, and nobody outside the platform may write to the landing container, so
 * files come in through the gateway's uploads or the CLI there and this scan finds nothing to do.
 */
export function landingScanHandler(deps: LandingScanDeps) {
  return async (_payload: Record<string, never>, context: JobContext) => {
    if (deps.landing.kind !== 'local') return { started: [] };
    const tenants = await deps.prisma.tenant.findMany({ where: { status: 'active' }, select: { id: true, slug: true, namespace: true } });
    const started: { tenant: string; ingestionRunId: string; files: number }[] = [];
    for (const tenant of tenants) {
      const incoming = path.join(deps.dataDir, 'landing', tenant.namespace, LANDING_INCOMING);
      let entries: string[];
      try {
        entries = fs.readdirSync(incoming);
      } catch {
        continue;
      }
      const marker = entries.find((e) => READY_MARKER.test(e));
      if (!marker) continue;
      const files = entries.filter((e) => e !== marker && fs.statSync(path.join(incoming, e)).isFile());
      fs.rmSync(path.join(incoming, marker));
      if (files.length === 0) {
        context.log.warn({ tenant: tenant.slug }, 'READY marker without files; ignored');
        continue;
      }
      const ingestionRunId = randomUUID();
      const target = path.join(deps.dataDir, 'landing', tenant.namespace, ingestionRunId);
      fs.mkdirSync(target, { recursive: true });
      const landed = files.map((name) => {
        fs.renameSync(path.join(incoming, name), path.join(target, name));
        return { path: path.join(target, name), name };
      });
      try {
        await requestLoad(deps.prisma, deps.queues, {
          tenantId: tenant.id,
          ingestionRunId,
          files: landed,
          source: 'landing',
          requestedBy: 'worker:landing',
        }, { uploadCeilingBytes: deps.uploadMaxBytes });
      } catch (error) {
        if (!(error instanceof PlanLimitError || error instanceof UploadTooLargeError)) throw error;
        // Nobody waits on a landing drop: the refusal goes where ops and the org admin look (the audit
        // log), the files stay in their run folder, and the other tenants' drops still get picked up.
        await deps.prisma.auditEvent.create({
          data: { actor: 'worker:landing', action: 'load.refused', tenantId: tenant.id, details: { ingestionRunId, code: error.code, reason: error.message } },
        });
        context.log.warn({ tenant: tenant.slug, ingestionRunId }, error.message);
        continue;
      }
      started.push({ tenant: tenant.slug, ingestionRunId, files: landed.length });
      context.log.info({ tenant: tenant.slug, ingestionRunId, files: landed.length }, 'landing drop picked up');
    }
    return { started };
  };
}
