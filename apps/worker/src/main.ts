import pino from 'pino';
import Redis from 'ioredis';
import { ConfigError, createSecretStore, loadSettings } from '@kineo/config';
import { startTracing, traceFields } from '@kineo/telemetry';
import { createWarehouse } from '@kineo/warehouse';
import { createPrismaClient } from '@kineo/db';
import { createLandingStore } from '@kineo/landing';
import { enqueuePendingLoadsJob, JOB_DEFINITIONS, JobQueues, landingRetentionJob, landingScanJob, PUBLISHED_CHANNEL, RedisOutageLog, sweepCredentialsJob } from '@kineo/jobs';
import type { PublishedEvent } from './modules/load/build-stage.job';
import { buildRegistry } from './handlers';
import { startWorker, type RunningWorker } from './engine/worker';
import { queueStaleRollupRefreshes } from './modules/rollups/stale-rollups.scan';

/** Expired credentials harm no one for an hour; sweeping hourly keeps the tables small. */
const CREDENTIAL_SWEEP_INTERVAL_MS = 3_600_000;
/** Retention is counted in days: an hourly sweep deletes expired landing folders within the hour. */
const LANDING_RETENTION_SWEEP_MS = 3_600_000;
/** Attempts to declare the schedules again once Redis is back, a second more apart each time. */
const SCHEDULE_ATTEMPTS = 5;

async function main() {
  let settings;
  try {
    settings = loadSettings();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`worker: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  // Before the warehouse is made: it is wrapped in statement spans only when tracing is on.
  const tracing = startTracing(settings, 'kineo-worker');
  // A line logged inside a job carries the job span's trace_id and span_id.
  const log = pino({ level: settings.LOG_LEVEL, base: { service: 'worker' }, mixin: () => traceFields() });
  const prisma = createPrismaClient(settings.DATABASE_URL);
  const secrets = createSecretStore(settings);
  const warehouse = await createWarehouse(settings, secrets, 'worker');
  // Every Redis connection of the process reports to it: one warning per outage, not one per retry.
  const redisOutage = new RedisOutageLog(log, settings.REDIS_URL);
  const queues = new JobQueues(settings.REDIS_URL, {
    onError: (error) => redisOutage.error(error, (err) => log.warn({ err }, 'redis (queues) error')),
  });
  const events = new Redis(settings.REDIS_URL, { maxRetriesPerRequest: 3 });
  events.on('error', (error) => redisOutage.error(error, (err) => log.warn({ err }, 'redis (events) error')));
  redisOutage.watch(events);
  const announce = async (event: PublishedEvent) => {
    await events.publish(PUBLISHED_CHANNEL, JSON.stringify(event));
  };
  // Signals are handled before anything starts, so a stop during start-up is still graceful.
  const running: { worker?: RunningWorker } = {};
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal, graceMs: settings.WORKER_SHUTDOWN_GRACE_MS }, 'shutting down: finishing jobs in hand');
    await running.worker?.close();
    await queues.close();
    await events.quit().catch(() => events.disconnect());
    await warehouse.close();
    await prisma.$disconnect();
    await tracing.release().catch((err: unknown) => log.warn({ err }, 'could not send the last spans'));
    log.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  // Every worker process (re)declares the same schedule; BullMQ keeps one.
  const schedules = [
    // A drop folder is the local landing store's only (see landingScanHandler).
    ...(settings.LANDING_STORE === 'local' ? [{ job: landingScanJob, everyMs: settings.LANDING_SCAN_INTERVAL_MS }] : []),
    // A scheduler's first run is now: loads left unenqueued while the stack was down start at once.
    { job: enqueuePendingLoadsJob, everyMs: settings.LOAD_ENQUEUE_RETRY_INTERVAL_MS },
    { job: sweepCredentialsJob, everyMs: CREDENTIAL_SWEEP_INTERVAL_MS },
    { job: landingRetentionJob, everyMs: LANDING_RETENTION_SWEEP_MS },
  ];
  const declareSchedules = async () => {
    for (const { job, everyMs } of schedules) await queues.schedule(job, {}, everyMs);
  };
  // A Redis emptied with no outage seen (FLUSHALL, or restarted faster than any connection noticed)
  // takes the schedules with it, and with them the sweep that restarts lost loads: checked as often
  // as that sweep runs, and declared again when one is missing. One check at a time: while Redis is
  // away a check waits for it, and the outage log declares them again when it is back.
  let checking = false;
  const scheduleCheck = setInterval(() => {
    if (checking || stopping) return;
    checking = true;
    void (async () => {
      const missing: string[] = [];
      for (const { job } of schedules) if (!(await queues.isScheduled(job))) missing.push(job.name);
      if (missing.length === 0 || stopping) return;
      await declareSchedules();
      log.warn({ missing }, 'schedules missing from Redis (emptied without an outage?) were declared again');
    })()
      .catch((err: unknown) => {
        if (!stopping) log.warn({ err }, 'could not check the schedules in Redis; the next check tries again');
      })
      .finally(() => (checking = false));
  }, settings.LOAD_ENQUEUE_RETRY_INTERVAL_MS);
  scheduleCheck.unref();
  // The schedules live in Redis: one that comes back empty (restarted without persistence, an empty
  // replica promoted) has none, and without this the landing scans and the pending-loads sweep would
  // stop until the worker restarted, leaving landed loads unenqueued. Declaring them again is a no-op
  // for a Redis that kept its data, bar one early run of each sweep, which is what an outage wants.
  // Listened for before the worker starts: an outage while the first declaration waits for Redis
  // (it waits as long as Redis is away) ends in this declaration too, to the Redis that came back.
  redisOutage.onReachableAgain(() => {
    void (async () => {
      for (let attempt = 1; !stopping; attempt++) {
        try {
          await declareSchedules();
          log.info('schedules declared again after the Redis outage');
          return;
        } catch (err) {
          if (stopping) return;
          if (attempt === SCHEDULE_ATTEMPTS) {
            log.error({ err }, `could not declare the schedules again after the Redis outage (${SCHEDULE_ATTEMPTS} attempts): landing scans and the pending-loads sweep stop until the worker restarts`);
            return;
          }
          await new Promise((resolve) => setTimeout(resolve, 1_000 * attempt));
        }
      }
    })();
  });
  const worker = (running.worker = await startWorker({
    redisUrl: settings.REDIS_URL,
    registry: buildRegistry({
      prisma,
      warehouse,
      secrets,
      queues,
      announce,
      dataDir: settings.KINEO_DATA_DIR,
      landing: createLandingStore(settings),
      landingRetentionDays: settings.LANDING_RETENTION_DAYS,
      uploadMaxBytes: settings.UPLOAD_MAX_BYTES,
      tenantLockTtlMs: settings.WORKER_TENANT_LOCK_TTL_MS,
    }),
    definitions: JOB_DEFINITIONS,
    concurrency: settings.WORKER_CONCURRENCY,
    tenantLockTtlMs: settings.WORKER_TENANT_LOCK_TTL_MS,
    shutdownGraceMs: settings.WORKER_SHUTDOWN_GRACE_MS,
    redisOutage,
    afterTenantJob: async (tenantId) => {
      const tenant = await prisma.tenant.findUnique({ where: { id: tenantId }, select: { namespace: true } });
      if (tenant) await warehouse.release({ tenantId, namespace: tenant.namespace });
    },
    log,
  }));
  if (stopping) {
    await worker.close();
    return;
  }
  try {
    await declareSchedules();
  } catch (error) {
    // A stop that came while the schedule was being declared closed its queue: not a failure to start.
    if (!stopping) throw error;
  }
  // A release that adds or changes rollups reaches every tenant without a rebuild; in the background,
  // so a fleet of tenants never delays the worker's start (their refreshes queue behind loads anyway).
  void queueStaleRollupRefreshes({ prisma, warehouse, queues, log }).catch((err: unknown) => {
    if (!stopping) log.warn({ err }, 'rollups refresh at start: the scan failed; the next start tries again');
  });
}

main().catch((error) => {
  process.stderr.write(`worker: failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
