import { Field, GraphQLISODateTime, Int, ObjectType } from '@nestjs/graphql';

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
}

@ObjectType('Rebuild', { description: 'A queued rebuild; follow it in `loads` / the run with this id.' })
export class RebuildView {
  @Field()
  buildRunId!: string;

  @Field(() => GraphQLISODateTime)
  asOf!: Date;
}
