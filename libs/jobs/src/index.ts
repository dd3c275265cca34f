export * from './definitions';
export * from './errors';
export * from './validate';
export * from './queues';
export * from './loads';
export * from './tenant-operations';
export * from './run-wait';
export * from './row-count.util';
export { RedisOutageLog, isRedisUnreachableError, jobGoneFromRedis, type OutageLogger, type ReadyEmitter } from './redis-outage.util';
