export * from './domain-error';
export * from './run-failure-codes';
