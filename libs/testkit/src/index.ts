// The launchers are devstack's; re-exported so a suite needs one import for its whole harness.
export { freePort, isPortOpen, waitForPort, type PostgresServer, type RedisServer } from '@kineo/devstack';
export * from './stack';
export * from './process';
