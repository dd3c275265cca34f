import { Field, Float, GraphQLISODateTime, InputType, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import { AuditEventPage, BuildRunPage, BuildRunView, PageOf, RunStatus, type PageView } from '../onboarding/runs.types';

export enum TenantStatus {
  provisioning = 'provisioning',
  active = 'active',
  suspended = 'suspended',
  offboarded = 'offboarded',
}
registerEnumType(TenantStatus, { name: 'TenantStatus', description: "Where a tenant is in its life; only an active tenant's people can sign in and load." });

@ObjectType('TenantPlan', { description: "A tenant's subscription and the limits it sets (overrides included)." })
export class TenantPlanView {
  @Field({ description: 'starter, professional or enterprise.' })
  code!: string;

  @Field()
  name!: string;

  @Field({ description: 'trialing, active, past_due or cancelled.' })
  status!: string;

  @Field(() => Int)
  seatLimit!: number;

  @Field(() => Float, { description: 'Most rows one load may bring.' })
  rowLimit!: number;

  @Field(() => Float, { description: "Largest file one upload may carry: the plan's limit, capped by the deployment's UPLOAD_MAX_BYTES." })
  uploadLimitBytes!: number;
}

@ObjectType('LandingRetention', { description: "How long a tenant's finished loads keep their landing files before the worker's sweep deletes them." })
export class LandingRetentionView {
  @Field(() => Int)
  days!: number;

  @Field({ description: "`tenant` for the tenant's own period (kineo tenant retention), `setting` for LANDING_RETENTION_DAYS." })
  source!: string;
}

export enum RollupState {
  none = 'none',
  current = 'current',
  stale = 'stale',
  unknown = 'unknown',
}
registerEnumType(RollupState, {
  name: 'RollupState',
  description:
    "Whether a tenant's published version holds every analytics rollup as this release defines it: none (nothing published), current, stale (the dashboards they serve read the facts until a refresh), unknown (its manifest could not be read).",
});

@ObjectType('RollupStatus', { description: "A tenant's published rollups against the model the gateway runs." })
export class RollupStatusView {
  @Field(() => RollupState)
  state!: RollupState;

  @Field(() => Int, { nullable: true, description: 'The published data version compared; null before the first publish.' })
  version!: number | null;

  @Field(() => [String], { description: 'The rollups (Cube.name) the version lacks or holds from an older definition.' })
  stale!: string[];

  @Field(() => String, { nullable: true, description: 'Why the state is unknown.' })
  error!: string | null;
}

export enum GoldRebuildState {
  queued = 'queued',
  running = 'running',
  failed = 'failed',
}
registerEnumType(GoldRebuildState, { name: 'GoldRebuildState', description: 'Where the latest attempt of a rebuild for missing gold columns stands.' });

@ObjectType('GoldRebuild', {
  description:
    "The rebuild from bronze the worker queued at a release's start because the tenant's published gold lacks columns that release reads; figures reading them answer NEEDS_NEXT_BUILD until it publishes.",
})
export class GoldRebuildView {
  @Field(() => GoldRebuildState)
  state!: GoldRebuildState;

  @Field(() => Int, { description: 'The published version lacking the columns (the current one).' })
  fromVersion!: number;

  @Field(() => [String], { description: 'table.column, each one the version lacks.' })
  missing!: string[];

  @Field(() => Int, { description: 'Attempts queued so far, the first one included.' })
  attempts!: number;

  @Field(() => Int, { description: 'Attempts the worker makes before it leaves the rebuild failed.' })
  maxAttempts!: number;

  @Field({ description: "False once the last allowed attempt failed: only a rebuild ops ask for (kineo tenant rebuild) goes on from there." })
  willRetry!: boolean;

  @Field({ description: "The latest attempt's run (in the tenant's runs)." })
  buildRunId!: string;

  @Field(() => String, { nullable: true, description: "The failed attempt's error." })
  error!: string | null;

  @Field(() => GraphQLISODateTime, { description: 'When the first attempt was queued.' })
  requestedAt!: Date;
}

@ObjectType('FleetLoad', { description: "A tenant's latest load, in brief." })
export class FleetLoadView {
  @Field()
  id!: string;

  @Field(() => RunStatus)
  status!: RunStatus;

  @Field(() => GraphQLISODateTime)
  at!: Date;
}

@ObjectType('FleetTenant', { description: 'One tenant as Kineo ops watch it.' })
export class FleetTenantView {
  @Field()
  id!: string;

  @Field()
  slug!: string;

  @Field()
  name!: string;

  @Field(() => TenantStatus)
  status!: TenantStatus;

  @Field({ description: 'The warehouse namespace, fixed for the life of the tenant.' })
  namespace!: string;

  @Field(() => TenantPlanView, { nullable: true, description: 'Null once offboarded.' })
  plan!: TenantPlanView | null;

  @Field(() => Int)
  fiscalYearStartMonth!: number;

  @Field({ description: "BCP 47 tag the portal formats the tenant's numbers and dates in, e.g. en-GB." })
  locale!: string;

  @Field(() => Int, { description: "The published data version; 0 before the first publish. Once offboarded, the last version's number (its data is removed)." })
  dataVersion!: number;

  @Field(() => FleetLoadView, { nullable: true })
  lastLoad!: FleetLoadView | null;

  @Field(() => BuildRunView, { nullable: true, description: 'The latest load build or rebuild, with its checks (a rollups refresh is not one: see publishedBy).' })
  lastBuild!: BuildRunView | null;

  @Field(() => BuildRunView, {
    nullable: true,
    description: 'The run that published the current data version: a load build, a rebuild or a rollups refresh (kind rollups); null before a first publish.',
  })
  publishedBy!: BuildRunView | null;

  @Field(() => Float, {
    nullable: true,
    description:
      "Rows of the tenant's data in the published version: its gold facts and dimensions, without the calendar (dim_date) and the rollups, as counted when that data was built (a rollups refresh keeps them). Null before a publish that counted them, and once offboarded (its data is removed).",
  })
  rows!: number | null;

  @Field(() => Float, {
    nullable: true,
    description: "Bytes on disk of the tenant's DuckDB warehouse folder (working database, published snapshots, layer files; not the landing area). Null on Databricks.",
  })
  storageBytes!: number | null;

  @Field(() => LandingRetentionView)
  landingRetention!: LandingRetentionView;

  @Field(() => RollupStatusView, { description: "Whether the published version's rollups are current (refreshRollups builds the stale ones)." })
  rollups!: RollupStatusView;

  @Field(() => GoldRebuildView, {
    nullable: true,
    description: "The rebuild the tenant waits for because its published gold lacks columns this release reads; null when it waits for none.",
  })
  goldRebuild!: GoldRebuildView | null;

  @Field(() => GraphQLISODateTime)
  createdAt!: Date;
}

export const FleetPage = PageOf(FleetTenantView, 'FleetPage');
export type FleetPage = PageView<FleetTenantView>;

@ObjectType('OpsTenant', { description: 'One tenant in full: the fleet view, plus its runs and audit log a page at a time.' })
export class OpsTenantView extends FleetTenantView {
  @Field(() => Int, { description: 'Its organisation admins who can act (active accounts, not deactivated). Ops invite an admin only while there are none.' })
  activeAdmins!: number;

  @Field(() => BuildRunPage, { description: 'Runs newest first (arguments on the query: runsFirst, runsAfter).' })
  runs!: PageView<BuildRunView>;

  @Field(() => AuditEventPage, { description: 'Audit events newest first (arguments on the query: auditFirst, auditAfter).' })
  audit!: PageView<unknown>;
}

@InputType('ProvisionTenantInput')
export class ProvisionTenantInput {
  @Field({ description: 'Lower-case letters, digits and hyphens, 3 to 40 characters; cannot change later.' })
  slug!: string;

  @Field()
  name!: string;

  @Field({ defaultValue: 'starter' })
  plan!: string;

  @Field(() => Int, { defaultValue: 1, description: 'Month (1-12) the fiscal year starts.' })
  fiscalStartMonth!: number;

  @Field({ defaultValue: 'en-GB', description: "BCP 47 tag for the portal's numbers and dates (en-GB, en-US, fr-FR...)." })
  locale!: string;
}

@ObjectType('TenantOperation', { description: 'A tenant and the worker job carrying out what was asked.' })
export class TenantOperationView {
  @Field(() => FleetTenantView)
  tenant!: FleetTenantView;

  @Field({ description: 'Follow it in the tenant\'s runs; the status changes when the worker is done.' })
  jobId!: string;
}

@ObjectType('RollupRefresh', { description: 'A rollups refresh ops asked for: the run to follow in the tenant\'s runs, and its job.' })
export class RollupRefreshView {
  @Field(() => FleetTenantView)
  tenant!: FleetTenantView;

  @Field({ description: "The build run (kind rollups) recording it; it succeeds without a new version when nothing is stale." })
  buildRunId!: string;

  @Field()
  jobId!: string;
}
