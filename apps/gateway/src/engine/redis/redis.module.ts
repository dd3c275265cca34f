import { Global, Inject, Logger, Module, type OnApplicationShutdown } from '@nestjs/common';
import type { Settings } from '@kineo/config';
import { Redis } from 'ioredis';
import { SETTINGS } from '../config/settings.module';

/** The process's one Redis connection for commands (cache, rate limits); queues bring their own. */
export const REDIS = Symbol('kineo.redis');

export const InjectRedis = (): ParameterDecorator => Inject(REDIS);

const HANDSHAKE_WAIT_MS = 2_000;

export function createRedisClient(url: string, logger = new Logger('Redis'), options: { autoPipelining?: boolean } = {}): Redis {
  const redis = new Redis(url, {
    // Commands issued in the same tick (a dashboard's tile reads, the two rate-limit counts) leave
    // in one write: the profile of a cached dashboard showed socket writes as its largest cost.
    enableAutoPipelining: options.autoPipelining ?? false,
    lazyConnect: false,
    // Fail a command fast while Redis is away instead of queueing it through every reconnect.
    maxRetriesPerRequest: 1,
    connectionName: 'kineo-gateway',
    // On disconnect ioredis waits this long for a socket to close, even one that already has.
    disconnectTimeout: 200,
  });
  // ioredis reports every failed reconnect; one line per outage is enough to act on.
  let down = false;
  redis.on('error', (error: Error) => {
    if (down) return;
    down = true;
    logger.warn(`Redis connection lost: ${error.message}`);
  });
  redis.on('ready', () => {
    if (!down) return;
    down = false;
    logger.log('Redis connection restored');
  });
  return redis;
}

@Global()
@Module({
  providers: [
    {
      provide: REDIS,
      inject: [SETTINGS],
      useFactory: (settings: Settings): Redis => createRedisClient(settings.REDIS_URL, undefined, { autoPipelining: true }),
    },
  ],
  exports: [REDIS],
})
export class RedisModule implements OnApplicationShutdown {
  constructor(@InjectRedis() private readonly redis: Redis) {}

  async onApplicationShutdown(): Promise<void> {
    // A handshake cut off midway makes ioredis fail its ready check, report an error and hold
    // the process open for its disconnect timeout; letting it finish first is quicker.
    if (this.redis.status === 'connecting' || this.redis.status === 'connect') {
      await settled(this.redis, HANDSHAKE_WAIT_MS);
    }
    if (this.redis.status === 'ready') {
      await this.redis.quit().catch(() => this.redis.disconnect());
    } else {
      // QUIT would wait in the offline queue for a connection that may never come back.
      this.redis.disconnect();
    }
  }
}

function settled(redis: Redis, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      redis.off('ready', done);
      redis.off('close', done);
      resolve();
    };
    const timer = setTimeout(done, timeoutMs);
    redis.once('ready', done);
    redis.once('close', done);
  });
}
