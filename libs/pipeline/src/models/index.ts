export * from './model';
export * from './runner';
export * from './silver-staging';
export * from './build';
export * from './placeholders';
export * from './calendar-reset';
