export * from './ports';
export * from './postgres';
export * from './redis';
export * from './otlp-receiver';
