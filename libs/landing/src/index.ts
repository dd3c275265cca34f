export * from './landing-store';
export * from './local-landing.store';
export * from './azure-blob-landing.store';
export * from './landing-store.factory';
