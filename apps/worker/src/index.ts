export * from './engine/job-handler.registry';
export * from './engine/worker';
export { TenantLockLostError } from './engine/tenant-lock';
export * from './handlers';
export { queueStaleRollupRefreshes, type StaleRollupScan } from './modules/rollups/stale-rollups.scan';
