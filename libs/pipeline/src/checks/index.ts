export * from './gold-tables';
export * from './reconciliation';
export * from './run-checks';
