import { Field, Float, GraphQLISODateTime, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import type { Type } from '@nestjs/common';
import { checkCounts, type AuditEvent, type BuildRun, type LoadRun, type Page, type StageRecord } from '@kineo/db';

export enum RunStatus {
  queued = 'queued',
  running = 'running',
  succeeded = 'succeeded',
  failed = 'failed',
  cancelled = 'cancelled',
}
registerEnumType(RunStatus, { name: 'RunStatus', description: 'Where a load, build or other run is.' });

@ObjectType('BuildStage', { description: 'One stage of a run, as the worker recorded it.' })
export class BuildStageView {
  @Field({ description: 'ingest, silver, hierarchy, gold, snapshots, publish (a load or build); namespace, access, activate (provisioning).' })
  stage!: string;

  @Field({ description: 'pending, running, succeeded, failed or skipped.' })
  status!: string;

  @Field(() => GraphQLISODateTime, { nullable: true })
  startedAt!: Date | null;

  @Field(() => GraphQLISODateTime, { nullable: true })
  finishedAt!: Date | null;

  @Field(() => Int, { nullable: true })
  durationMs!: number | null;

  @Field(() => Int, { nullable: true, description: 'Which try of the stage this is; stages are retried with backoff.' })
  attempt!: number | null;

  @Field(() => String, { nullable: true })
  error!: string | null;

  @Field(() => [String], { description: 'What went wrong without failing the stage (e.g. a working table a refresh could not put back); empty when nothing did.' })
  warnings!: string[];
}

@ObjectType('BuildCheck', { description: 'A data check run before publishing; a failed check stops the publish.' })
export class BuildCheckView {
  @Field()
  check!: string;

  @Field()
  table!: string;

  @Field({ description: 'passed or failed.' })
  status!: string;

  @Field()
  detail!: string;
}

@ObjectType('BuildRun', { description: 'A run over a tenant: a load\'s build, a rebuild, provisioning or offboarding.' })
export class BuildRunView {
  @Field()
  id!: string;

  @Field({ description: 'load, rebuild, provision or offboard.' })
  kind!: string;

  @Field(() => RunStatus)
  status!: RunStatus;

  @Field(() => Float, { description: 'Share of the stages finished, 0 to 1.' })
  progress!: number;

  @Field(() => [BuildStageView])
  stages!: BuildStageView[];

  @Field(() => [BuildCheckView])
  checks!: BuildCheckView[];

  @Field(() => Int)
  checksPassed!: number;

  @Field(() => Int)
  checksFailed!: number;

  @Field(() => Int, { nullable: true, description: 'The data version it published.' })
  dataVersion!: number | null;

  @Field(() => GraphQLISODateTime, { nullable: true, description: 'The reference time of the build.' })
  asOf!: Date | null;

  @Field(() => Int, {
    nullable: true,
    description: "The month (1-12) the build's fiscal year starts in, fixed when its first build stage started (every later stage builds with it); null before then, and for runs that are no builds.",
  })
  fiscalYearStartMonth!: number | null;

  @Field(() => String, {
    nullable: true,
    description: 'A rebuild asked for while a build that would not build what was asked was under way (another fiscal-year start or as-of): that build, which it runs after.',
  })
  followsBuildRunId!: string | null;

  @Field(() => String, { nullable: true })
  error!: string | null;

  @Field(() => GraphQLISODateTime)
  createdAt!: Date;

  @Field(() => GraphQLISODateTime, { nullable: true })
  startedAt!: Date | null;

  @Field(() => GraphQLISODateTime, { nullable: true })
  finishedAt!: Date | null;
}

@ObjectType('LoadFile', { description: 'One file of a load and what became of its rows.' })
export class LoadFileView {
  @Field()
  file!: string;

  @Field(() => String, { nullable: true, description: 'loaded, duplicate (same content loaded before) or ignored; null until ingested.' })
  status!: string | null;

  @Field(() => Float, { nullable: true })
  rowsRead!: number | null;

  @Field(() => Float, { nullable: true })
  rowsLoaded!: number | null;

  @Field(() => Float, { nullable: true, description: 'Rows set aside with a reason; see `quarantine`.' })
  rowsQuarantined!: number | null;

  @Field(() => String, { nullable: true, description: 'Why a file was ignored, or which earlier file a duplicate repeats; null otherwise.' })
  note!: string | null;
}

@ObjectType('Load', { description: 'A load of export files and the build it started.' })
export class LoadView {
  @Field()
  id!: string;

  @Field(() => RunStatus, { description: 'The ingest step; the build has its own status.' })
  status!: RunStatus;

  @Field({ description: 'upload, cli or landing.' })
  source!: string;

  @Field(() => [LoadFileView])
  files!: LoadFileView[];

  @Field(() => Float)
  rowsRead!: number;

  @Field(() => Float)
  rowsLoaded!: number;

  @Field(() => Float)
  rowsQuarantined!: number;

  @Field(() => String, { nullable: true })
  error!: string | null;

  @Field(() => GraphQLISODateTime)
  createdAt!: Date;

  @Field(() => GraphQLISODateTime, { nullable: true })
  finishedAt!: Date | null;

  @Field(() => BuildRunView, { nullable: true, description: 'The build this load started, stage by stage.' })
  build!: BuildRunView | null;
}

@ObjectType('AuditEvent', { description: 'Who did what to a tenant, and when.' })
export class AuditEventView {
  @Field()
  id!: string;

  @Field({ description: 'A user id, or a system actor such as "worker" or "cli:<user>".' })
  actor!: string;

  @Field(() => String, { nullable: true, description: 'The e-mail of the user the actor is or acts for ("worker:<user id>"); null for a system actor alone.' })
  actorEmail!: string | null;

  @Field()
  action!: string;

  @Field({ description: 'The event details as JSON text.' })
  details!: string;

  @Field(() => GraphQLISODateTime)
  createdAt!: Date;
}

export interface PageView<T> {
  items: T[];
  endCursor: string | null;
  hasNextPage: boolean;
}

/** A page type: `items`, newest first, and the cursor to pass as `after` for the next. */
export function PageOf<T>(item: Type<T>, name: string): Type<PageView<T>> {
  @ObjectType(name)
  class PageClass implements PageView<T> {
    @Field(() => [item])
    items!: T[];

    @Field(() => String, { nullable: true, description: 'Pass as `after` for the next page; null on the last.' })
    endCursor!: string | null;

    @Field()
    hasNextPage!: boolean;
  }
  return PageClass;
}

export const LoadPage = PageOf(LoadView, 'LoadPage');
export const BuildRunPage = PageOf(BuildRunView, 'BuildRunPage');
export const AuditEventPage = PageOf(AuditEventView, 'AuditEventPage');

export function mapPage<T, R>(page: Page<T>, map: (item: T) => R): PageView<R> {
  return { items: page.items.map(map), endCursor: page.endCursor, hasNextPage: page.hasNextPage };
}

const date = (value: string | undefined) => (value ? new Date(value) : null);

export function toBuildRunView(run: BuildRun): BuildRunView {
  const stages = (Array.isArray(run.stages) ? run.stages : []) as unknown as StageRecord[];
  const checks = (Array.isArray(run.checks) ? run.checks : []) as unknown as BuildCheckView[];
  const counts = checkCounts(checks);
  const done = stages.filter((s) => s.status === 'succeeded' || s.status === 'skipped').length;
  return {
    id: run.id,
    kind: run.kind,
    status: run.status as RunStatus,
    progress: stages.length === 0 ? (run.status === 'succeeded' ? 1 : 0) : done / stages.length,
    stages: stages.map((s) => ({
      stage: s.stage,
      status: s.status,
      startedAt: date(s.startedAt),
      finishedAt: date(s.finishedAt),
      durationMs: s.durationMs ?? null,
      attempt: s.attempt ?? null,
      error: s.error ?? null,
      warnings: s.warnings ?? [],
    })),
    checks: checks.map((c) => ({ check: c.check, table: c.table, status: c.status, detail: c.detail })),
    checksPassed: counts.passed,
    checksFailed: counts.failed,
    dataVersion: run.dataVersion,
    asOf: run.asOf,
    fiscalYearStartMonth: run.fiscalYearStartMonth,
    followsBuildRunId: run.followsBuildRunId,
    error: run.error,
    createdAt: run.createdAt,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
  };
}

interface FileRecord {
  file: string;
  status?: string;
  rowsRead?: number;
  rowsLoaded?: number;
  rowsQuarantined?: number;
  note?: string;
}

export function toLoadView(run: LoadRun): LoadView {
  const files = (Array.isArray(run.files) ? run.files : []) as unknown as FileRecord[];
  const build = run.buildRuns[0];
  return {
    id: run.id,
    status: run.status as RunStatus,
    source: run.source,
    files: files.map((f) => ({
      file: f.file,
      status: f.status ?? null,
      rowsRead: f.rowsRead ?? null,
      rowsLoaded: f.rowsLoaded ?? null,
      rowsQuarantined: f.rowsQuarantined ?? null,
      note: f.note ?? null,
    })),
    rowsRead: Number(run.rowsRead),
    rowsLoaded: Number(run.rowsLoaded),
    rowsQuarantined: Number(run.rowsQuarantined),
    error: run.error,
    createdAt: run.createdAt,
    finishedAt: run.finishedAt,
    build: build ? toBuildRunView(build) : null,
  };
}

/** The user id an audit actor names: itself, or the user a system actor acted for ("worker:<id>"). */
export function actorUserId(actor: string): string | null {
  const id = actor.slice(actor.lastIndexOf(':') + 1);
  return UUID.test(id) ? id : null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function toAuditEventView(event: AuditEvent, emails: ReadonlyMap<string, string> = new Map()): AuditEventView {
  const userId = actorUserId(event.actor);
  return {
    id: String(event.id),
    actor: event.actor,
    actorEmail: (userId && emails.get(userId)) ?? null,
    action: event.action,
    details: JSON.stringify(event.details, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v)),
    createdAt: event.createdAt,
  };
}
