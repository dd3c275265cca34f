export * from './ports';
export * from './postgres';
export * from './postgres-placement.util';
export * from './redis';
export * from './otlp-receiver';
export * from './row-lock';
