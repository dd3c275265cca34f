// The tests start Postgres with @kineo/devstack (a dev dependency); @kineo/testkit depends on this
// package, so it cannot be used here.
// Prisma's generated client imports its own TypeScript files by their .js names (NodeNext).
module.exports = {
  ...require('../../jest.preset.js'),
  moduleNameMapper: {
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
};
