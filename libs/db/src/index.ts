export * from './client';
export * from './errors';
export * from './migrate';
export * from './tenants';
export * from './audit';
export { Prisma } from './generated/prisma/client';
export type * from './generated/prisma/client';
export * from './runs';
