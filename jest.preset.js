// Shared Jest settings: every workspace runs TypeScript through SWC (decorator metadata on),
// and NestJS 12's ESM-only packages are transformed so CommonJS tests can load them.
const swc = {
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
    keepClassNames: true,
    target: 'es2023',
  },
  module: { type: 'commonjs' },
  sourceMaps: 'inline',
};

module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.(t|j)s$': ['@swc/jest', swc] },
  transformIgnorePatterns: [
    '/node_modules/(?!(?:.*/node_modules/)?(?:@nestjs|content-disposition|cookie|@fastify/otel|jose|uuid)/)',
    // Prisma's generated client is plain CommonJS with its runtime beside it (megabytes).
    '/libs/db/generated/',
  ],
  testMatch: ['<rootDir>/test/**/*.test.ts', '<rootDir>/src/**/*.test.ts'],
  moduleFileExtensions: ['ts', 'js', 'json'],
  testTimeout: 120000,
  // Jest's default is one worker fewer than the cores: on CI's two cores, one file at a time. Most of
  // a suite's time is waiting on its own Postgres, Redis and DuckDB, so two files at once take the
  // second core: the CLI's 72 tests went from 213 s to 152 s. Each file starts its own stack on free
  // ports, so files never share a server.
  maxWorkers: 2,
};
