import { Query, Resolver } from '@nestjs/graphql';
import { Public } from '../../engine/auth/auth.decorators';
import { PlatformService } from './platform.service';
import { PlatformInfo } from './platform.types';

@Resolver(() => PlatformInfo)
export class PlatformResolver {
  constructor(private readonly platformService: PlatformService) {}

  @Query(() => PlatformInfo, { description: 'What is serving this API; needs no sign-in.' })
  @Public()
  platform(): PlatformInfo {
    return this.platformService.describe();
  }
}
