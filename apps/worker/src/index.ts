export * from './engine/job-handler.registry';
export * from './engine/worker';
export * from './handlers';
