import { Field, GraphQLISODateTime, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import type { SessionRole } from '@kineo/auth';

export const Role = { org_admin: 'org_admin', manager: 'manager', viewer: 'viewer', kineo_ops: 'kineo_ops' } as const satisfies Record<SessionRole, SessionRole>;

registerEnumType(Role, {
  name: 'Role',
  description: 'What a session may do.',
  valuesMap: {
    org_admin: { description: "Runs the organisation's account: uploads, settings, people." },
    manager: { description: 'Sees the dashboards of their direct and indirect reports.' },
    viewer: { description: 'Sees the dashboards they were granted.' },
    kineo_ops: { description: 'Kineo operations staff, outside every organisation.' },
  },
});

@ObjectType('TenantSummary', { description: 'The organisation a session acts for.' })
export class TenantSummary {
  @Field({ description: 'Stable short name, used to choose the organisation at sign-in.' })
  slug!: string;

  @Field()
  name!: string;
}

@ObjectType('Session', {
  description:
    'A signed-in session; send the token as "Authorization: Bearer <token>". Before it expires, swap the refresh token for a new session with `refreshSession`.',
})
export class SessionPayload {
  @Field({ description: 'The access token (a JWT).' })
  token!: string;

  @Field(() => GraphQLISODateTime, { description: 'When the access token stops working.' })
  expiresAt!: Date;

  @Field({ description: 'Opaque; works once, in `refreshSession`, which hands out the next one. Keep it secret.' })
  refreshToken!: string;

  @Field(() => GraphQLISODateTime, { description: 'When the refresh token stops working; sign in again after that.' })
  refreshExpiresAt!: Date;

  @Field(() => Role)
  role!: SessionRole;

  @Field(() => TenantSummary, { nullable: true, description: 'Null for a Kineo ops session.' })
  tenant!: TenantSummary | null;
}

@ObjectType('Me', { description: 'The signed-in caller.' })
export class Me {
  @Field()
  email!: string;

  @Field(() => String, { nullable: true })
  displayName!: string | null;

  @Field(() => Role)
  role!: SessionRole;

  @Field(() => TenantSummary, { nullable: true, description: 'Null for a Kineo ops session.' })
  tenant!: TenantSummary | null;

  @Field({ description: "BCP 47 tag to format numbers and dates in: the organisation's locale (en-GB for Kineo ops)." })
  locale!: string;

  @Field(() => Int, {
    nullable: true,
    description:
      "1-12: the month the organisation's fiscal year starts in, as set now (a build applies a change to the data); what 'this fiscal year' means on its dashboards. Null for a Kineo ops session.",
  })
  fiscalYearStartMonth!: number | null;

  @Field(() => GraphQLISODateTime, { description: 'When the session ends and the caller must sign in again.' })
  sessionExpiresAt!: Date;
}
