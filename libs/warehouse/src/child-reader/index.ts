export * from './child-reader';
