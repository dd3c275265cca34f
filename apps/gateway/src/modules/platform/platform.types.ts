import { Field, GraphQLISODateTime, ObjectType } from '@nestjs/graphql';

@ObjectType('Platform', { description: 'The service answering this API.' })
export class PlatformInfo {
  @Field({ description: 'Which Kineo service this is.' })
  service!: string;

  @Field({ description: 'The running release of the service.' })
  version!: string;

  @Field({ description: 'development, test or production.' })
  environment!: string;

  @Field(() => GraphQLISODateTime, { description: "The server's clock, to compare with the client's." })
  time!: Date;
}
