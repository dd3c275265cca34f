export * from './settings';
export * from './secret-store';
