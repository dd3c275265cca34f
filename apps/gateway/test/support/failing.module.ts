import { Module } from '@nestjs/common';
import { DomainError } from '@kineo/errors';
import { Query, Resolver } from '@nestjs/graphql';

/** Stands in for a driver error that names a host and a secret. */
export const RAW_FAILURE = 'connect ECONNREFUSED 10.20.30.40:5432 user=kineo_admin password=hunter2';

@Resolver()
class FailingResolver {
  @Query(() => String)
  failsWithDomainError(): string {
    throw new DomainError('TENANT_SUSPENDED', 'This organisation is suspended. Contact Kineo support.');
  }

  @Query(() => String)
  failsUnexpectedly(): string {
    throw new Error(RAW_FAILURE);
  }
}

/** Test-only resolvers that fail the two ways a real one can. */
@Module({ providers: [FailingResolver] })
export class FailingModule {}
