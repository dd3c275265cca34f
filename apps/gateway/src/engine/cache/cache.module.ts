import { Module } from '@nestjs/common';
import { ResultCache } from './result-cache.service';

@Module({
  providers: [ResultCache],
  exports: [ResultCache],
})
export class CacheModule {}
