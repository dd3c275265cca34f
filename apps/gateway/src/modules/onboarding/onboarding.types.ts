import { Field, Float, GraphQLISODateTime, Int, ObjectType } from '@nestjs/graphql';
import { BuildRunView, PageOf } from './runs.types';

@ObjectType('TenantSettings', { description: "The organisation's settings an org admin may change." })
export class TenantSettingsView {
  @Field()
  slug!: string;

  @Field()
  name!: string;

  @Field(() => Int, { description: 'Month (1-12) the fiscal year starts; used by the next build.' })
  fiscalYearStartMonth!: number;

  @Field(() => Int, { description: 'The published data version the dashboards show.' })
  dataVersion!: number;

  @Field(() => BuildRunView, {
    nullable: true,
    description: "The organisation's latest rebuild (asked for with `rebuild`, or by Kineo): its stages, then the version it published or why it failed; null before one.",
  })
  lastRebuild!: BuildRunView | null;

  @Field(() => String, { nullable: true, description: 'Why `rebuild` would be refused now (nothing loaded yet, the organisation not active); null when it can run.' })
  rebuildUnavailable!: string | null;
}

@ObjectType('FollowedBuild', { description: 'The build under way that a rebuild waits for: it is queued once that build has ended, however it ends.' })
export class FollowedBuildView {
  @Field()
  buildRunId!: string;

  @Field({ description: "`rebuild`, or `load` for a load's build." })
  kind!: string;

  @Field({ description: 'queued, running, or how it ended (succeeded, failed, cancelled).' })
  status!: string;

  @Field(() => GraphQLISODateTime)
  asOf!: Date;

  @Field(() => Int, { nullable: true, description: 'The month its fiscal year starts in, fixed when its first stage started; null before.' })
  fiscalYearStartMonth!: number | null;
}

@ObjectType('Rebuild', {
  description:
    "The rebuild asked for, or the build already under way that answered the request (`alreadyUnderWay`); follow a rebuild in `tenantSettings.lastRebuild` and a load's build in its load (the run with this id).",
})
export class RebuildView {
  @Field()
  buildRunId!: string;

  @Field(() => GraphQLISODateTime)
  asOf!: Date;

  @Field({
    description:
      "True when this request queued nothing new: a rebuild or a load's build of the organisation that builds what was asked (with the fiscal-year start as it is now) was already queued or running, and `buildRunId` names it. One build is asked for at a time, so versions publish in the order they were asked for.",
  })
  alreadyUnderWay!: boolean;

  @Field({ description: "`rebuild`, or `load` for a load's build under way." })
  kind!: string;

  @Field(() => GraphQLISODateTime, { description: 'When the run was asked for (queued).' })
  queuedAt!: Date;

  @Field(() => Int, { description: 'The month the fiscal year of this build starts in: the one its first stage fixed, or the current setting while none has started.' })
  fiscalYearStartMonth!: number;

  @Field(() => FollowedBuildView, {
    nullable: true,
    description:
      'Set when the rebuild named waits for a build under way that started before the fiscal year was changed (or builds another as-of): that build. The rebuild is queued to run once it has ended, however it ends; null otherwise.',
  })
  follows!: FollowedBuildView | null;
}

@ObjectType('QuarantinedRow', { description: 'A row a load set aside instead of loading, and why.' })
export class QuarantinedRowView {
  @Field()
  file!: string;

  @Field(() => Float, { description: 'Line in the file, the header being line 1.' })
  line!: number;

  @Field()
  reason!: string;

  @Field({
    description:
      "The row's fields as read, as JSON by column name (a column the contract does not know included), or the record's text itself where it could not be read into fields (a short or long row, broken quoting).",
  })
  raw!: string;
}

export const QuarantinePage = PageOf(QuarantinedRowView, 'QuarantinePage');
