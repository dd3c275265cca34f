import fs from 'node:fs';
import path from 'node:path';
import type { PrismaClient } from '@kineo/db';
import { generateExport } from '@kineo/testkit';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { multipart } from './multipart';

/**
 * Generates an LMS export and loads it the way a customer does: uploaded by an org admin through
 * `POST /uploads`, ingested and built by the worker, published. Resolves with the build's data version.
 */
export async function loadGeneratedExport(
  app: NestFastifyApplication,
  prisma: PrismaClient,
  options: { token: string; dir: string; users: number; seed: number; asOf: Date },
): Promise<{ buildRunId: string; dataVersion: number }> {
  await generateExport({ dir: options.dir, users: options.users, seed: options.seed, years: 2, asOf: options.asOf, fiscalCalendar: false });
  const files = fs.readdirSync(options.dir).filter((name) => name.endsWith('.csv'));
  const { payload, headers } = multipart([
    ...files.map((name) => ({ field: 'files', filename: name, content: fs.readFileSync(path.join(options.dir, name)) })),
    { field: 'asOf', content: options.asOf.toISOString() },
  ]);
  const response = await app.inject({ method: 'POST', url: '/uploads', payload, headers: { ...headers, authorization: `Bearer ${options.token}` } });
  if (response.statusCode !== 202) throw new Error(`upload refused (${response.statusCode}): ${response.body}`);
  const { buildRunId } = response.json() as { buildRunId: string };
  return { buildRunId, dataVersion: await builtVersion(prisma, buildRunId) };
}

/** Waits for a build run to end; its data version once published, or the reason it failed. */
async function builtVersion(prisma: PrismaClient, buildRunId: string, timeoutMs = 600_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const run = await prisma.buildRun.findUnique({ where: { id: buildRunId } });
    if (run?.status === 'succeeded' && run.dataVersion) return run.dataVersion;
    if (run?.status === 'failed' || run?.status === 'cancelled') throw new Error(`build ${buildRunId} ${run.status}: ${run.error}`);
    if (Date.now() > deadline) throw new Error(`build ${buildRunId} did not finish in ${timeoutMs} ms (status ${run?.status})`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}
