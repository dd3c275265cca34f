import { createRequire } from 'node:module';
import { Command, InvalidArgumentError } from 'commander';
import type * as Analytics from '@kineo/analytics';
import {
  formatBytes,
  goldRebuildsOf,
  historyResetWarning,
  landingRetentionOf,
  MAX_LANDING_RETENTION_DAYS,
  monthName,
  setLandingRetention,
  TenantLifecycleService,
  TenantService,
  validateNewTenant,
  type GoldRebuildStatus,
  type LandingRetention,
  type StageRecord,
  type TenantWithSubscription,
} from '@kineo/db';
import { isDomainError } from '@kineo/errors';
import {
  offboardTenantJob,
  provisionTenant,
  provisionTenantJob,
  pollUntil,
  requestOffboard,
  requestRebuild,
  requestRollupRefresh,
  waitForTenantOperation,
  type JobQueues,
  type RebuildTicket,
  type TenantOperationOutcome,
} from '@kineo/jobs';
import type { CliContext } from '../context';
import { isoDate } from '../options';
import { CliError, printFields, printJson, printTable } from '../output';
import { printStageWarnings, stageWarningLines } from '../stage-warnings.util';


function summary(t: TenantWithSubscription) {
  const subscription = t.subscriptions[0];
  return {
    id: t.id,
    slug: t.slug,
    name: t.name,
    namespace: t.namespace,
    status: t.status,
    plan: subscription?.planCode ?? null,
    fiscalYearStartMonth: t.fiscalYearStartMonth,
    dataVersion: t.dataVersion,
    warehouseEngine: t.warehouseEngine,
    createdAt: t.createdAt,
  };
}

function month(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 12) throw new InvalidArgumentError('a month number from 1 to 12');
  return n;
}

export function tenantCommand(context: () => CliContext): Command {
  const tenant = new Command('tenant').description('create and inspect customer tenants');

  tenant
    .command('create')
    .description('create a tenant and start provisioning it')
    .argument('<slug>', 'lower-case letters, digits and hyphens, 3-40 characters')
    .requiredOption('--name <name>', 'the customer organisation name')
    .option('--plan <plan>', 'subscription plan (starter, professional, enterprise)', 'starter')
    .option('--fiscal-start <month>', 'fiscal-year start month, 1-12', month, 1)
    .option('--wait', 'wait until provisioning has finished')
    .option('--json', 'print JSON')
    .action(async (slug: string, options: { name: string; plan: string; fiscalStart: number; wait?: boolean; json?: boolean }) => {
      validateNewTenant({ slug, name: options.name, fiscalYearStartMonth: options.fiscalStart });
      const ctx = context();
      // Refuse before writing anything if the queue is unreachable, so no tenant is left unprovisioned.
      const queues = await ctx.queues();
      const { tenant: created, jobId } = await provisionTenant(ctx.prisma, queues, {
        slug,
        name: options.name,
        planCode: options.plan,
        fiscalYearStartMonth: options.fiscalStart,
        actor: ctx.actor,
      });
      let result = summary(created);
      if (options.wait) {
        await waitForTenantJob(ctx, { tenantId: created.id, kind: 'provision', attempts: provisionTenantJob.attempts }, {
          failed: (reason) => `Provisioning tenant "${slug}" failed: ${reason}. Create it again once the cause is fixed, or ask for help with this message.`,
          notStarted: `Tenant "${slug}" was created but provisioning has not started. Is the worker running ("kineo stack status")? It will be provisioned when the worker picks the job up.`,
        });
        result = summary(await new TenantService(ctx.prisma).get(slug));
      }
      if (options.json) return printJson({ ...result, provisioningJobId: jobId });
      process.stdout.write(`Created tenant ${result.slug} (${result.name}), namespace ${result.namespace}, plan ${result.plan}.\n`);
      process.stdout.write(
        result.status === 'active'
          ? 'Provisioned: the tenant is active.\n'
          : `Provisioning queued (job ${jobId}); follow it with "kineo tenant show ${result.slug}".\n`,
      );
    });

  tenant
    .command('list')
    .description('list every tenant')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const tenants = (await new TenantService(context().prisma).list()).map(summary);
      if (options.json) return printJson(tenants);
      printTable(tenants, ['slug', 'name', 'status', 'plan', 'namespace', 'dataVersion', 'createdAt']);
    });

  tenant
    .command('show')
    .description('show one tenant, its subscription and a page of its recent runs and audit events, with totals')
    .argument('<slug>')
    .option('--runs <n>', 'loads and builds per page (default 5)', count(100), 5)
    .option('--audit <n>', 'audit events per page (default 20)', count(500), 20)
    .option('--page <n>', 'page of runs and audit events, 1 being the newest', count(), 1)
    .option('--json', 'print JSON')
    .action(async (slug: string, options: { runs: number; audit: number; page: number; json?: boolean }) => {
      const ctx = context();
      const found = await new TenantService(ctx.prisma).get(slug);
      const where = { tenantId: found.id };
      const newest = { orderBy: [{ createdAt: 'desc' as const }, { id: 'desc' as const }] };
      const runs = { ...newest, take: options.runs, skip: (options.page - 1) * options.runs };
      const [ingestions, builds, audit, totalIngestions, totalBuilds, totalAudit] = await Promise.all([
        ctx.prisma.ingestionRun.findMany({ where, ...runs }),
        ctx.prisma.buildRun.findMany({ where, ...runs }),
        ctx.prisma.auditEvent.findMany({ where, ...newest, take: options.audit, skip: (options.page - 1) * options.audit }),
        ctx.prisma.ingestionRun.count({ where }),
        ctx.prisma.buildRun.count({ where }),
        ctx.prisma.auditEvent.count({ where }),
      ]);
      const subscription = found.subscriptions[0];
      const totals = { ingestionRuns: totalIngestions, buildRuns: totalBuilds, auditEvents: totalAudit };
      const rollups = await rollupState(ctx, found);
      const goldRebuild = (await goldRebuildsOf(ctx.prisma, [found])).get(found.id) ?? null;
      if (options.json) {
        // Bounded whatever the tenant's history: a page of each list, each row summarised.
        return printJson({
          ...summary(found),
          subscription: subscription && {
            plan: subscription.planCode,
            status: subscription.status,
            seatLimit: subscription.seatLimit ?? subscription.plan.seatLimit,
            rowLimit: subscription.rowLimit ?? subscription.plan.rowLimit,
            uploadLimitBytes: Math.min(Number(subscription.plan.uploadLimitBytes), ctx.settings.UPLOAD_MAX_BYTES),
            features: subscription.plan.features,
            periodStart: subscription.periodStart,
            periodEnd: subscription.periodEnd,
          },
          landingRetention: landingRetentionOf(found, ctx.settings.LANDING_RETENTION_DAYS),
          rollups,
          goldRebuild,
          page: { number: options.page, runs: options.runs, audit: options.audit },
          totals,
          ingestionRuns: ingestions.map(({ files, ...run }) => ({ ...run, files: Array.isArray(files) ? files.length : 0 })),
          buildRuns: builds.map(({ checks, ...run }) => ({ ...run, checks: checkCounts(checks) })),
          auditEvents: audit.map((event) => ({ ...event, details: boundedDetails(event.details) })),
        });
      }
      printFields([
        ['slug', found.slug],
        ['name', found.name],
        ['status', found.status],
        ['namespace', found.namespace],
        ['engine', found.warehouseEngine],
        ['fiscal year starts', monthName(found.fiscalYearStartMonth)],
        ['data version', found.dataVersion],
        ['plan', subscription ? `${subscription.plan.name} (${subscription.status})` : '-'],
        ['seat limit', subscription ? (subscription.seatLimit ?? subscription.plan.seatLimit) : '-'],
        ['row limit', subscription ? String(subscription.rowLimit ?? subscription.plan.rowLimit) : '-'],
        ['upload limit', subscription ? uploadLimitText(Number(subscription.plan.uploadLimitBytes), ctx.settings.UPLOAD_MAX_BYTES) : '-'],
        ['landing retention', retentionText(landingRetentionOf(found, ctx.settings.LANDING_RETENTION_DAYS))],
        ['rollups', rollupText(slug, rollups)],
        ['gold rebuild', goldRebuildText(slug, goldRebuild)],
        ['created', found.createdAt],
      ]);
      const shown = (n: number, total: number, per: string) =>
        total > n ? ` (${n} of ${total}; ${per} or --page ${options.page + 1} for more)` : '';
      process.stdout.write(`\nRecent loads${shown(ingestions.length, totalIngestions, '--runs N')}\n`);
      printTable(ingestions, ['createdAt', 'status', 'source', 'rowsRead', 'rowsLoaded', 'rowsQuarantined']);
      process.stdout.write(`\nRecent builds${shown(builds.length, totalBuilds, '--runs N')}\n`);
      printTable(
        // fyStart: the month its first build stage fixed (every stage builds with it); follows: the run a rebuild waits for.
        builds.map((b) => ({ ...b, checks: checkSummary(b.checks), fyStart: b.fiscalYearStartMonth ? monthName(b.fiscalYearStartMonth) : null, follows: b.followsBuildRunId })),
        ['createdAt', 'kind', 'status', 'dataVersion', 'asOf', 'fyStart', 'checks', 'follows'],
      );
      const latest = builds.find((b) => Array.isArray(b.checks) && (b.checks as unknown[]).length > 0);
      const failedChecks = latest ? (latest.checks as unknown as Check[]).filter((c) => c.status === 'failed') : [];
      if (failedChecks.length > 0) {
        process.stdout.write('\nFailed checks of the latest checked build\n');
        printTable(failedChecks.map((c) => ({ ...c })), ['check', 'table', 'detail']);
      }
      const failedBuild = builds.find((b) => b.status === 'failed');
      if (failedBuild && failedBuild === builds[0]) process.stdout.write(`\nThe latest build failed: ${failedBuild.error}\n`);
      const warnings = builds[0] ? stageWarningLines((builds[0].stages as unknown as StageRecord[]) ?? []) : [];
      if (warnings.length > 0) process.stdout.write(`\nWarnings of the latest build\n${warnings.join('\n')}\n`);
      process.stdout.write(`\nAudit${shown(audit.length, totalAudit, '--audit N')}\n`);
      printTable(audit, ['createdAt', 'actor', 'action']);
    });

  tenant
    .command('rebuild')
    .description("rebuild a tenant's silver, gold and rollups from what it has loaded (bronze), and publish them as a new data version")
    .argument('<slug>', 'the tenant')
    .option('--as-of <date>', 'the reference time for overdue, expiry and compliance (default: now)', isoDate)
    .option('--wait', 'wait until the build has been published (or has failed)')
    .option('--json', 'print the outcome as JSON')
    .action(async (slug: string, options: { asOf?: Date; wait?: boolean; json?: boolean }) => {
      const ctx = context();
      const found = await new TenantService(ctx.prisma).get(slug);
      const ticket = await requestRebuild(ctx.prisma, await ctx.queues(), { tenantId: found.id, actor: ctx.actor, asOf: options.asOf });
      // One build at a time: the one under way answers the request when it builds what is asked, or
      // the rebuild queued to follow it (either is what --wait waits for).
      const underWay = rebuildAnswerText(slug, ticket);
      if (!options.wait) {
        if (options.json) return printJson({ ...ticket, status: ticket.underWay?.status ?? 'queued' });
        process.stdout.write(underWay ? `${underWay}\n` : `Rebuild ${ticket.buildRunId} of ${slug} queued (as of ${ticket.asOf}, with the fiscal year starting in ${monthName(ticket.fiscalYearStartMonth)}); follow it with "kineo tenant show ${slug}".\n`);
        return;
      }
      if (underWay && !options.json) process.stdout.write(`${underWay} Waiting for ${ticket.follows ? `rebuild ${ticket.buildRunId}` : 'it'}.\n`);
      const build = await pollUntil(async () => {
        const run = await ctx.prisma.buildRun.findUniqueOrThrow({ where: { id: ticket.buildRunId } });
        return run.status === 'succeeded' || run.status === 'failed' ? run : undefined;
      });
      const outcome = {
        buildRunId: build.id,
        ...(ticket.underWay ? { underWay: ticket.underWay } : {}),
        ...(ticket.follows ? { follows: ticket.follows } : {}),
        status: build.status,
        dataVersion: build.dataVersion ?? null,
        asOf: build.asOf?.toISOString() ?? null,
        error: build.error ?? null,
        stages: ((build.stages as unknown as StageRecord[]) ?? []).map((s) => ({ stage: s.stage, status: s.status, durationMs: s.durationMs ?? null, warnings: s.warnings ?? [] })),
      };
      if (options.json) printJson(outcome);
      else if (build.status === 'succeeded') process.stdout.write(`Rebuilt ${slug}: published as version ${outcome.dataVersion} (as of ${outcome.asOf}).\n`);
      if (!options.json) printStageWarnings(outcome.stages);
      if (build.status !== 'succeeded') {
        if (!options.json) process.stderr.write(`The rebuild of ${slug} failed: ${outcome.error ?? 'see kineo tenant show'}\n`);
        process.exitCode = 1;
      }
    });

  tenant
    .command('refresh-rollups')
    .description(
      "build the rollups a tenant's published version lacks or holds from an older release on that version's gold, and publish them as the next data version (the worker does this for every stale tenant when it starts)",
    )
    .argument('[slug]', 'the tenant')
    .option('--all', 'every active tenant whose published rollups are stale')
    .option('--wait', 'wait until each refresh has been published (or found nothing stale, or failed)')
    .option('--json', 'print the outcome as JSON')
    .action(async (slug: string | undefined, options: { all?: boolean; wait?: boolean; json?: boolean }) => {
      if (Boolean(slug) === Boolean(options.all)) throw new CliError('Name one tenant (kineo tenant refresh-rollups <slug>) or pass --all, not both.', 2);
      const ctx = context();
      const service = new TenantService(ctx.prisma);
      let targets: TenantWithSubscription[];
      if (slug) targets = [await service.get(slug)];
      else {
        targets = [];
        for (const t of (await service.list()).filter((t) => t.status === 'active' && t.dataVersion > 0)) {
          if ((await rollupState(ctx, t)).stale?.length) targets.push(t);
        }
      }
      const queues = await ctx.queues();
      const tickets = [];
      for (const t of targets) tickets.push({ slug: t.slug, ...(await requestRollupRefresh(ctx.prisma, queues, { tenantId: t.id, actor: ctx.actor })) });
      if (!options.wait) {
        if (options.json) return printJson(tickets.map((t) => ({ slug: t.slug, buildRunId: t.buildRunId, status: 'queued' })));
        if (tickets.length === 0) process.stdout.write('No active tenant has stale rollups.\n');
        for (const t of tickets) process.stdout.write(`Rollups refresh ${t.buildRunId} of ${t.slug} queued; follow it with "kineo tenant show ${t.slug}".\n`);
        return;
      }
      const outcomes = [];
      for (const t of tickets) {
        const run = await pollUntil(async () => {
          const r = await ctx.prisma.buildRun.findUniqueOrThrow({ where: { id: t.buildRunId } });
          return r.status === 'succeeded' || r.status === 'failed' ? r : undefined;
        });
        const stages = (run.stages as unknown as StageRecord[]) ?? [];
        const rollups = stages.find((s) => s.stage === 'rollups')?.details?.rollups;
        outcomes.push({
          slug: t.slug,
          buildRunId: run.id,
          status: run.status,
          dataVersion: run.dataVersion ?? null,
          rollups: Array.isArray(rollups) ? (rollups as string[]) : [],
          error: run.error ?? null,
          warnings: stageWarningLines(stages),
        });
      }
      if (options.json) printJson(outcomes);
      else {
        if (outcomes.length === 0) process.stdout.write('No active tenant has stale rollups.\n');
        for (const o of outcomes) {
          if (o.status === 'failed') process.stderr.write(`The rollups refresh of ${o.slug} failed: ${o.error ?? 'see kineo tenant show'}\n`);
          else if (o.dataVersion === null) process.stdout.write(`${o.slug}: nothing stale; its published version already holds every rollup.\n`);
          else process.stdout.write(`${o.slug}: refreshed ${o.rollups.join(', ')}; published as version ${o.dataVersion}.\n`);
          for (const line of o.warnings) process.stderr.write(`${o.slug}: ${line}\n`);
        }
      }
      if (outcomes.some((o) => o.status === 'failed')) process.exitCode = 1;
    });

  tenant
    .command('retention')
    .description("set how many days finished loads keep their landing files, or 'default' for the LANDING_RETENTION_DAYS setting")
    .argument('<slug>')
    .argument('<days>', `1 to ${MAX_LANDING_RETENTION_DAYS}, or "default"`, retentionDays)
    .option('--json', 'print JSON')
    .action(async (slug: string, days: number | null, options: { json?: boolean }) => {
      const ctx = context();
      await setLandingRetention(ctx.prisma, { slug, days, actor: ctx.actor });
      const retention = landingRetentionOf(await new TenantService(ctx.prisma).get(slug), ctx.settings.LANDING_RETENTION_DAYS);
      if (options.json) return printJson({ slug, landingRetention: retention });
      process.stdout.write(`Landing retention of ${slug}: ${retentionText(retention)}.\n`);
    });

  tenant
    .command('fiscal-start')
    .description("set the month a tenant's fiscal year starts, from its next build; once data is published that build resets the fiscal-year history, so it needs --yes")
    .argument('<slug>')
    .argument('<month>', 'the new start month, 1-12', month)
    .option('--yes', "confirm that the next build rebuilds the tenant's fiscal-year history from completion dates (archiving the history kept so far)")
    .option('--json', 'print JSON')
    .action(async (slug: string, newMonth: number, options: { yes?: boolean; json?: boolean }) => {
      const ctx = context();
      const found = await new TenantService(ctx.prisma).get(slug);
      const change = await new TenantLifecycleService(ctx.prisma)
        .updateFiscalYearStart(found.id, newMonth, ctx.actor, { confirmHistoryReset: options.yes === true })
        .catch((error: unknown) => {
          // The API's message names the argument that confirms; an operator is told the flag. Exit 2,
          // as offboard's missing confirmation: the command was refused as typed, nothing changed.
          if (isDomainError(error) && error.code === 'CONFIRMATION_REQUIRED') {
            throw new CliError(`${historyResetWarning(slug, Number(error.details.from), newMonth)} Run it again with --yes to change it.`, 2);
          }
          throw error;
        });
      const outcome = {
        slug,
        from: change.from,
        fiscalYearStartMonth: change.tenant.fiscalYearStartMonth,
        changed: change.from !== change.tenant.fiscalYearStartMonth,
        historyReset: change.historyReset,
      };
      if (options.json) return printJson(outcome);
      const to = monthName(outcome.fiscalYearStartMonth);
      if (!outcome.changed) process.stdout.write(`The fiscal year of ${slug} already starts in ${to}; nothing changed.\n`);
      else {
        process.stdout.write(`The fiscal year of ${slug} starts in ${to} (was ${monthName(outcome.from)}) from its next build.\n`);
        process.stdout.write(
          outcome.historyReset
            ? `That build rebuilds the fiscal-year history from completion dates; the history kept so far is archived. Run "kineo tenant rebuild ${slug}" to apply it now.\n`
            : 'Nothing is published yet, so no fiscal-year history is reset.\n',
        );
      }
    });

  tenant
    .command('offboard')
    .description("drop a tenant's warehouse data (row counts are kept in the audit log) and mark it offboarded")
    .argument('<slug>')
    .requiredOption('--confirm <slug>', 'the slug again, to confirm')
    .option('--json', 'print JSON')
    .action(async (slug: string, options: { confirm: string; json?: boolean }) => {
      if (options.confirm !== slug) {
        throw new CliError(`Refusing to offboard: --confirm must repeat the slug exactly ("${slug}").`, 2);
      }
      const ctx = context();
      const queues: JobQueues = await ctx.queues();
      const { tenant: found } = await requestOffboard(ctx.prisma, queues, { slug, confirm: options.confirm, actor: ctx.actor });
      const done = await waitForTenantJob(ctx, { tenantId: found.id, kind: 'offboard', attempts: offboardTenantJob.attempts }, {
        failed: (reason) => `Offboarding "${slug}" failed: ${reason}. Run the command again once the cause is fixed.`,
        notStarted: `Offboarding "${slug}" has not started. Is the worker running ("kineo stack status")? It will run when the worker picks the job up.`,
        calledOff: (reason) => `Offboarding "${slug}" was called off: ${reason}. Nothing was removed; to offboard it after all, ask again (asking suspends it).`,
      });
      const evidence = done.details.evidence ?? {};
      const deleted = done.details.landing ?? {};
      const landing = { store: typeof deleted.store === 'string' ? deleted.store : 'local', files: Number(deleted.files ?? 0), bytes: Number(deleted.bytes ?? 0) };
      const outcome = { tables: Number(evidence.tables ?? 0), rows: Number(evidence.rows ?? 0), landing };
      if (options.json) return printJson({ slug, status: 'offboarded', ...outcome });
      process.stdout.write(
        `Offboarded ${slug}: dropped ${outcome.tables} tables holding ${outcome.rows} rows and deleted ${landing.files} landing files (${landing.bytes} bytes, ${landing.store} store); the counts are in the audit log.\n`,
      );
    });

  return tenant;
}

/** Waits for a provisioning or offboarding by its runs in Postgres (see waitForTenantOperation). */
export async function waitForTenantJob(
  ctx: CliContext,
  operation: Parameters<typeof waitForTenantOperation>[1],
  explain: { failed: (reason: string) => string; notStarted: string; calledOff?: (reason: string) => string },
): Promise<TenantOperationOutcome> {
  const outcome = await waitForTenantOperation(ctx.prisma, operation, {
    onUnavailable: (reason) => process.stderr.write(`The metadata database is not answering (${reason}); still waiting.\n`),
    onRecovered: () => process.stderr.write('The metadata database answers again.\n'),
  });
  if (outcome === 'not-started') throw new CliError(explain.notStarted);
  if (outcome.status === 'failed') throw new CliError(explain.failed(outcome.error ?? 'no reason was recorded'));
  if (outcome.status === 'called-off') throw new CliError(explain.calledOff?.(outcome.error ?? '') ?? `Called off: ${outcome.error ?? ''}.`);
  return outcome;
}

interface Check {
  check: string;
  table: string;
  status: string;
  detail: string;
}

function checkCounts(checks: unknown): { total: number; passed: number; failed: number } {
  const list = Array.isArray(checks) ? (checks as Check[]) : [];
  return {
    total: list.length,
    passed: list.filter((c) => c.status === 'passed').length,
    failed: list.filter((c) => c.status === 'failed').length,
  };
}

/** Audit details up to a few KiB are shown whole; a bigger one (a long SQL, say) is cut to a preview. */
const AUDIT_DETAILS_LIMIT = 4096;

function boundedDetails(details: unknown): unknown {
  const text = JSON.stringify(details) ?? '';
  if (text.length <= AUDIT_DETAILS_LIMIT) return details;
  return { truncated: true, bytes: text.length, preview: text.slice(0, AUDIT_DETAILS_LIMIT) };
}

function retentionDays(value: string): number | null {
  if (value === 'default') return null;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_LANDING_RETENTION_DAYS) {
    throw new InvalidArgumentError(`a whole number of days from 1 to ${MAX_LANDING_RETENTION_DAYS}, or "default"`);
  }
  return n;
}

/** The limit in force and where it comes from: the plan, or the deployment's ceiling below it. */
function uploadLimitText(planBytes: number, ceilingBytes: number): string {
  return planBytes <= ceilingBytes ? `${formatBytes(planBytes)} per file (the plan's)` : `${formatBytes(ceilingBytes)} per file (UPLOAD_MAX_BYTES, below the plan's ${formatBytes(planBytes)})`;
}

function retentionText(retention: LandingRetention): string {
  return `${retention.days} day${retention.days === 1 ? '' : 's'} (${retention.source === 'tenant' ? "the tenant's own" : 'LANDING_RETENTION_DAYS'})`;
}

function count(max?: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isSafeInteger(n) || n < 1 || (max !== undefined && n > max)) {
      throw new InvalidArgumentError(max === undefined ? 'a whole number from 1' : `a whole number from 1 to ${max}`);
    }
    return n;
  };
}

function checkSummary(checks: unknown): string {
  if (!Array.isArray(checks) || checks.length === 0) return '';
  const list = checks as Check[];
  const passed = list.filter((c) => c.status === 'passed').length;
  return `${passed}/${list.length} passed`;
}

/** The semantic layer, which only `tenant show`'s rollup check needs: loaded there, not by every tenant command. */
const analytics = () => createRequire(__filename)('@kineo/analytics') as typeof Analytics;

/** A tenant's published rollups against this release's model: stale ones listed; null before anything is published. */
async function rollupState(ctx: CliContext, t: TenantWithSubscription): Promise<{ version: number | null; stale: string[] | null; error?: string }> {
  if (t.dataVersion < 1 || t.status === 'offboarded') return { version: null, stale: null };
  try {
    const state = await analytics().publishedRollups(await ctx.warehouse(), { tenantId: t.id, namespace: t.namespace }, t.dataVersion);
    return { version: state.version, stale: state.stale };
  } catch (error) {
    return { version: t.dataVersion, stale: null, error: error instanceof Error ? error.message : String(error) };
  }
}

/** What `kineo tenant rebuild` says when the request queued nothing at once: the build under way that answered it, or the rebuild that follows one. */
function rebuildAnswerText(slug: string, ticket: RebuildTicket): string | null {
  const starting = (month: number) => `the fiscal year starting in ${monthName(month)}`;
  const follows = ticket.follows;
  if (follows) {
    const what = follows.kind === 'load' ? "A load's build" : 'A build';
    const why =
      follows.fiscalYearStartMonth !== null && follows.fiscalYearStartMonth !== ticket.fiscalYearStartMonth
        ? `that started with ${starting(follows.fiscalYearStartMonth)}, before it was changed,`
        : `as of ${follows.asOf}`;
    const rebuild = `rebuild ${ticket.buildRunId} with ${starting(ticket.fiscalYearStartMonth)} (as of ${ticket.asOf}) is queued to run after it (queued at ${ticket.queuedAt})`;
    return `${what} of ${slug} ${why} is under way (run ${follows.buildRunId}, ${follows.status}); ${rebuild}${ticket.underWay ? '; nothing more was queued' : ''}.`;
  }
  if (!ticket.underWay) return null;
  const what = ticket.underWay.kind === 'load' ? "A load's build" : 'A rebuild';
  return `${what} of ${slug} with ${starting(ticket.fiscalYearStartMonth)} is already under way (${ticket.underWay.status}, queued at ${ticket.queuedAt}, as of ${ticket.asOf}): run ${ticket.buildRunId}; nothing more was queued.`;
}

/** The rebuild a release queued because the published gold lacks columns it reads, if the tenant waits for one. */
function goldRebuildText(slug: string, rebuild: GoldRebuildStatus | null): string {
  if (!rebuild) return '- (none waited for)';
  const lacking = `version ${rebuild.fromVersion} lacks ${rebuild.missing.join(', ')}; run ${rebuild.buildRunId}`;
  if (rebuild.state !== 'failed') return `${rebuild.state} (attempt ${rebuild.attempts} of ${rebuild.maxAttempts}): ${lacking}`;
  const next = rebuild.willRetry ? 'the worker queues the next attempt' : `the worker will not retry; run "kineo tenant rebuild ${slug}"`;
  return `failed after ${rebuild.attempts} of ${rebuild.maxAttempts} attempts (${next}): ${lacking}: ${rebuild.error ?? 'no error recorded'}`;
}

function rollupText(slug: string, state: { version: number | null; stale: string[] | null; error?: string }): string {
  if (state.version === null) return '- (nothing published)';
  if (state.error) return `unknown (version ${state.version} could not be read: ${state.error})`;
  if (!state.stale?.length) return `current (version ${state.version})`;
  return (
    `${state.stale.length} stale in version ${state.version} (${state.stale.join(', ')}): answered from the facts until refreshed; ` +
    `the worker queues a refresh when it starts, or run "kineo tenant refresh-rollups ${slug}"`
  );
}
