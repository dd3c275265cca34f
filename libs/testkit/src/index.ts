// The launchers are devstack's; re-exported so a suite needs one import for its whole harness.
export { freePort, holdLock, isPortOpen, startOtlpReceiver, startRedis, waitForPort, type HeldLock, type OtlpReceiver, type PostgresServer, type ReceivedSpan, type RedisServer } from '@kineo/devstack';
export * from './stack';
export * from './process';
export * from './fixtures';
export * from './oidc-provider';
export * from './azurite';
