export * from './contract';
export * from './csv-field.util';
