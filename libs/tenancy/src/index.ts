export * from './tenancy.exception';
export * from './namespace';
export * from './slug';
