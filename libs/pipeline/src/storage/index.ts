export * from './layer-storage';
