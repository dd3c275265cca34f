import { Field, GraphQLISODateTime, ID, InputType, ObjectType } from '@nestjs/graphql';
import { GraphQLJSON } from '../../engine/graphql/json.scalar';
import { AnalyticsQueryInput, ChartKindEnum } from './analytics.types';

export type SavedViewChart = keyof typeof ChartKindEnum;

@ObjectType('SavedView', { description: 'An Explore query saved under a name, for its owner or for everyone in the organisation.' })
export class SavedViewType {
  @Field(() => ID)
  id!: string;

  @Field()
  name!: string;

  @Field(() => GraphQLJSON, { description: 'The analytics query (an AnalyticsQueryInput), as validated when it was saved.' })
  query!: unknown;

  @Field(() => ChartKindEnum)
  chart!: SavedViewChart;

  @Field({ description: 'Everyone in the organisation sees it; otherwise only its owner.' })
  shared!: boolean;

  @Field({ description: 'Whether the caller saved it (and so may replace or delete it).' })
  mine!: boolean;

  @Field({ description: "The owner's display name or e-mail address." })
  ownerName!: string;

  @Field(() => GraphQLISODateTime)
  updatedAt!: Date;
}

@InputType('SaveViewInput')
export class SaveViewInput {
  @Field({ description: "1 to 100 characters; saving again under one of the caller's names replaces that view." })
  name!: string;

  @Field(() => AnalyticsQueryInput)
  query!: AnalyticsQueryInput;

  @Field(() => ChartKindEnum)
  chart!: SavedViewChart;

  @Field({ defaultValue: false, description: 'Share with everyone in the organisation.' })
  shared!: boolean;
}
