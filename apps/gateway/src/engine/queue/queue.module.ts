import { Global, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import type { Settings } from '@kineo/config';
import { JobQueues } from '@kineo/jobs';
import { SETTINGS } from '../config/settings.module';

/** The enqueue side of the platform's BullMQ queues; connections open on first use. */
export const JOB_QUEUES = Symbol('kineo.jobQueues');

export const InjectJobQueues = (): ParameterDecorator => Inject(JOB_QUEUES);

@Global()
@Module({
  providers: [
    {
      provide: JOB_QUEUES,
      inject: [SETTINGS],
      useFactory: (settings: Settings): JobQueues => new JobQueues(settings.REDIS_URL),
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
