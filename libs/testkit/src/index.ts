export * from './ports';
export * from './postgres';
export * from './redis';
export * from './stack';
export * from './process';
