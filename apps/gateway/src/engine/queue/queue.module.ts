import { Global, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import type { Settings } from '@kineo/config';
import { isRedisUnreachableError, JobQueues } from '@kineo/jobs';
import { Logger } from 'nestjs-pino';
import { SETTINGS } from '../config/settings.module';

/** The enqueue side of the platform's BullMQ queues; connections open on first use. */
export const JOB_QUEUES = Symbol('kineo.jobQueues');

export const InjectJobQueues = (): ParameterDecorator => Inject(JOB_QUEUES);

@Global()
@Module({
  providers: [
    {
      provide: JOB_QUEUES,
      inject: [SETTINGS, Logger],
      useFactory: (settings: Settings, logger: Logger): JobQueues =>
        // Without a listener BullMQ prints every failed reconnect's stack to stderr while Redis is
        // away. The gateway's command connection already says once when Redis is lost and when it
        // is back (RedisModule), so the queues' own failures to reach it are not told again.
        new JobQueues(settings.REDIS_URL, {
          onError: (error) => {
            if (!isRedisUnreachableError(error)) logger.warn({ err: error }, 'redis (queues) error');
          },
        }),
    },
  ],
  exports: [JOB_QUEUES],
})
export class QueueModule implements OnApplicationShutdown {
  constructor(@InjectJobQueues() private readonly queues: JobQueues) {}

  async onApplicationShutdown(): Promise<void> {
    await this.queues.close();
  }
}
