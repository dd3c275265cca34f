import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import type { QueueEvents } from 'bullmq';
import { assertFilesWithinUploadLimit, TenantService, uploadLimitOf, type StageRecord } from '@kineo/db';
import { bullConnection, bullMq, LOAD_STAGES, pollUntil, QUEUE_PREFIX, requestLoad, type LoadTicket } from '@kineo/jobs';
import { createLandingStore } from '@kineo/landing';
import type { FileReport } from '@kineo/pipeline';
import type { CliContext } from '../context';
import { isoDate } from '../options';
import { CliError, printJson, printTable } from '../output';
import { stageWarningLines } from '../stage-warnings.util';

/** The files a person named: a folder means every .csv and .xlsx directly inside it. */
export function collectFiles(inputs: string[]): { path: string; name: string }[] {
  const files: { path: string; name: string }[] = [];
  for (const input of inputs) {
    const full = path.resolve(input);
    if (!fs.existsSync(full)) throw new CliError(`No such file or folder: ${input}`);
    if (fs.statSync(full).isDirectory()) {
      const found = fs.readdirSync(full).filter((f) => /\.(csv|xlsx)$/i.test(f)).sort();
      if (found.length === 0) throw new CliError(`The folder ${input} has no .csv or .xlsx files.`);
      files.push(...found.map((f) => ({ path: path.join(full, f), name: f })));
    } else {
      files.push({ path: full, name: path.basename(full) });
    }
  }
  return files;
}

export function ingestCommand(context: () => CliContext): Command {
  return new Command('ingest')
    .description("load LMS export files into a tenant's warehouse and build it; prints a report per file")
    .argument('<slug>', 'the tenant')
    .argument('<paths...>', 'a folder of export files, or the files themselves')
    .option('--as-of <date>', 'the reference time for overdue, expiry and compliance (default: now)', isoDate)
    .option('--no-wait', 'queue the load and return at once')
    .option('--json', 'print the outcome as JSON')
    .action(async (slug: string, inputs: string[], options: { asOf?: Date; wait: boolean; json?: boolean }) => {
      const files = collectFiles(inputs);
      const ctx = context();
      const tenant = await new TenantService(ctx.prisma).get(slug);
      const ticket = await startLoad(ctx, tenant, files, { asOf: options.asOf, source: 'cli' });
      const ingestionRunId = ticket.ingestionRunId;
      if (!options.wait) {
        if (options.json) return printJson({ ...ticket, status: 'queued' });
        process.stdout.write(`Load ${ingestionRunId} queued for ${slug}; follow it with "kineo tenant show ${slug}".\n`);
        return;
      }
      const outcome = await followLoad(ctx, ticket.ingestionRunId, ticket.buildRunId, ticket.jobIds.ingest, !options.json);
      if (options.json) {
        printJson(outcome);
      } else {
        printReport(outcome);
      }
      if (outcome.status !== 'succeeded') process.exitCode = 1;
    });
}

/**
 * The data directory's landing and warehouse folders hold every tenant's files: loading one of
 * them into another tenant (linked, so it would not even be a copy) would hand that tenant's
 * export over. Only the tenant's own landing folder may be named there; paths are compared after
 * resolving links. The message names neither the other tenant nor its folder.
 */
function assertOutsideOtherTenantsData(files: { path: string }[], dataDir: string, tenant: { slug: string; namespace: string }): void {
  const real = (p: string) => (fs.existsSync(p) ? fs.realpathSync(p) : path.resolve(p));
  const inside = (p: string, folder: string) => p === folder || p.startsWith(folder + path.sep);
  const data = real(dataDir);
  const own = path.join(data, 'landing', tenant.namespace);
  for (const file of files) {
    const at = real(file.path);
    for (const area of ['landing', 'warehouse']) {
      if (inside(at, path.join(data, area)) && !inside(at, own)) {
        throw new CliError(
          `${file.path} is in the data directory's ${area} folder, outside the landing folder of "${tenant.slug}"; ingest export files from elsewhere.`,
        );
      }
    }
  }
}

/** Puts the files in the tenant's landing area (linked when possible) and starts the load's flow. */
export async function startLoad(
  ctx: CliContext,
  tenant: { id: string; slug: string; status: string; namespace: string },
  files: { path: string; name: string }[],
  options: { asOf?: Date; source: 'cli' },
): Promise<LoadTicket> {
  if (tenant.status !== 'active') throw new CliError(`Tenant "${tenant.slug}" is ${tenant.status}; only an active tenant takes loads.`);
  assertOutsideOtherTenantsData(files, ctx.settings.KINEO_DATA_DIR, tenant);
  // Refused before a byte is copied into landing; requestLoad checks again for the landed copies.
  const limit = await uploadLimitOf(ctx.prisma, tenant.id, ctx.settings.UPLOAD_MAX_BYTES);
  assertFilesWithinUploadLimit(limit, files.map((f) => ({ name: f.name, bytes: fs.statSync(f.path).size })));
  const queues = await ctx.queues();
  const ingestionRunId = randomUUID();
  const store = createLandingStore(ctx.settings);
  const landing = store.localRunDir(tenant.namespace, ingestionRunId);
  fs.mkdirSync(landing, { recursive: true });
  const landed = files.map((file) => {
    const target = path.join(landing, file.name);
    try {
      fs.linkSync(file.path, target);
    } catch {
      fs.copyFileSync(file.path, target);
    }
    return { path: target, name: file.name };
  });
  let ticket: LoadTicket;
  try {
    // Where the landing store is not this machine's folder (Azure Blob Storage), the worker reads the files from there.
    await store.publishRun(tenant.namespace, ingestionRunId, landed);
    ticket = await requestLoad(ctx.prisma, queues, {
      tenantId: tenant.id,
      ingestionRunId,
      files: landed,
      source: options.source,
      requestedBy: ctx.actor,
      asOf: options.asOf,
    }, { uploadCeilingBytes: ctx.settings.UPLOAD_MAX_BYTES });
  } catch (error) {
    if (store.kind !== 'local') await store.removeRun(tenant.namespace, ingestionRunId);
    throw error;
  }
  await store.releaseLocalCopy(tenant.namespace, ingestionRunId);
  return ticket;
}

export interface LoadOutcome {
  ingestionRunId: string;
  buildRunId: string;
  status: string;
  /** The gold version this load published, when it got that far. */
  dataVersion: number | null;
  asOf: string | null;
  error: string | null;
  files: FileReport[];
  rowsRead: number;
  rowsLoaded: number;
  rowsQuarantined: number;
  stages: StageRecord[];
}

/**
 * Watches a load to its end, drawing progress per stage and per file on stderr. The end is read
 * from Postgres (the run and its build); queue events only feed the per-file progress line, so a
 * wait survives Redis or Postgres restarting under it and ends however the run ends.
 */
export async function followLoad(ctx: CliContext, ingestionRunId: string, buildRunId: string, ingestJobId: string, draw: boolean): Promise<LoadOutcome> {
  const progress = new ProgressLine(draw && process.stderr.isTTY === true, draw);
  const events = new (bullMq().QueueEvents)('ingest', { connection: bullConnection(ctx.settings.REDIS_URL), prefix: QUEUE_PREFIX });
  // While Redis is away the events just stop; the wait goes on from Postgres.
  events.on('error', () => undefined);
  events.on('progress', ({ jobId, data }) => {
    if (jobId !== ingestJobId || typeof data !== 'object' || data === null) return;
    const p = data as { file?: string; index?: number; total?: number };
    if (p.file && p.total) progress.update(`ingest    ${bar((p.index ?? 0) / p.total)} ${(p.index ?? 0) + 1}/${p.total} ${p.file}`);
  });
  const reported = new Map<string, string>();
  try {
    return await pollUntil(
      async (): Promise<LoadOutcome | undefined> => {
        const [run, build] = await Promise.all([
          ctx.prisma.ingestionRun.findUniqueOrThrow({ where: { id: ingestionRunId } }),
          ctx.prisma.buildRun.findUniqueOrThrow({ where: { id: buildRunId } }),
        ]);
        const stages = (build.stages as unknown as StageRecord[]) ?? [];
        for (const stage of stages) {
          if (reported.get(stage.stage) === stage.status || stage.status === 'pending') continue;
          reported.set(stage.stage, stage.status);
          const index = LOAD_STAGES.indexOf(stage.stage as (typeof LOAD_STAGES)[number]) + 1;
          const label = `${stage.stage.padEnd(9)} [${index}/${LOAD_STAGES.length}]`;
          if (stage.status === 'running') progress.update(`${label} running${stage.attempt && stage.attempt > 1 ? ` (attempt ${stage.attempt})` : ''}`);
          else {
            progress.done(`${label} ${stage.status}${stage.durationMs !== undefined ? ` in ${(stage.durationMs / 1000).toFixed(1)} s` : ''}${stage.error ? `: ${firstLine(stage.error)}` : ''}`);
            for (const line of stageWarningLines([stage])) progress.done(line);
          }
        }
        if (build.status !== 'succeeded' && build.status !== 'failed' && run.status !== 'failed') return undefined;
        return {
          ingestionRunId,
          buildRunId,
          status: build.status === 'succeeded' ? 'succeeded' : 'failed',
          dataVersion: build.dataVersion ?? null,
          asOf: build.asOf?.toISOString() ?? null,
          error: run.error ?? build.error,
          files: (Array.isArray(run.files) ? run.files : []) as unknown as FileReport[],
          rowsRead: Number(run.rowsRead),
          rowsLoaded: Number(run.rowsLoaded),
          rowsQuarantined: Number(run.rowsQuarantined),
          stages,
        };
      },
      {
        onUnavailable: (reason) => progress.done(`The metadata database is not answering (${reason}); still waiting for load ${ingestionRunId}.`),
        onRecovered: () => progress.done('The metadata database answers again.'),
      },
    );
  } finally {
    progress.end();
    await closeQuietly(events);
  }
}

/** Closes a queue-events connection without waiting on a Redis that is not there. */
export async function closeQuietly(events: QueueEvents): Promise<void> {
  await Promise.race([events.close().catch(() => undefined), new Promise((r) => setTimeout(r, 1000).unref())]);
  await events.disconnect().catch(() => undefined);
}

export function printReport(outcome: LoadOutcome) {
  if (outcome.status !== 'succeeded') {
    process.stderr.write(`\nThe load failed: ${outcome.error ?? 'see kineo tenant show'}\n`);
  }
  if (outcome.dataVersion !== null) process.stdout.write(`\nPublished as version ${outcome.dataVersion} (as of ${outcome.asOf}).\n`);
  if (outcome.files.some((f) => f.status)) {
    process.stdout.write('\n');
    printTable(
      outcome.files.map((f) => ({ ...f, note: f.note ?? (f.reasons?.[0] ? `${f.reasons[0].rows} × ${f.reasons[0].reason}` : '') })),
      ['file', 'status', 'rowsRead', 'rowsLoaded', 'rowsQuarantined', 'note'],
    );
    process.stdout.write(
      `\nrows read ${outcome.rowsRead} = loaded ${outcome.rowsLoaded} + quarantined ${outcome.rowsQuarantined}` +
        (outcome.rowsQuarantined > 0 ? ' (see bronze._quarantine: kineo sql <slug> --layer bronze "select * from bronze._quarantine")' : '') +
        '\n',
    );
  }
}

const firstLine = (text: string) => text.split('\n')[0];
const bar = (fraction: number) => {
  const width = 20;
  const filled = Math.max(0, Math.min(width, Math.round(fraction * width)));
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
};

/** One status line on a terminal (redrawn in place), plain lines otherwise. */
class ProgressLine {
  private current = '';
  constructor(
    private readonly tty: boolean,
    private readonly enabled: boolean,
  ) {}
  update(text: string) {
    if (!this.enabled || text === this.current) return;
    this.current = text;
    if (this.tty) process.stderr.write(`\r\x1b[2K${text}`);
    else process.stderr.write(`${text}\n`);
  }
  done(text: string) {
    if (!this.enabled) return;
    if (this.tty) process.stderr.write(`\r\x1b[2K${text}\n`);
    else process.stderr.write(`${text}\n`);
    this.current = '';
  }
  end() {
    if (this.enabled && this.tty && this.current) process.stderr.write('\n');
  }
}
