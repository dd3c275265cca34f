import { Query, Resolver } from '@nestjs/graphql';
import { PlatformService } from './platform.service';
import { PlatformInfo } from './platform.types';

@Resolver(() => PlatformInfo)
export class PlatformResolver {
  constructor(private readonly platformService: PlatformService) {}

  @Query(() => PlatformInfo, { description: 'What is serving this API; needs no sign-in.' })
  platform(): PlatformInfo {
    return this.platformService.describe();
  }
}
