// @kineo/testkit depends on this package (it migrates the databases it starts), so it cannot be a
// dependency here too: turbo refuses a cycle. The tests take its launchers from source instead.
// Prisma's generated client imports its own TypeScript files by their .js names (NodeNext).
module.exports = {
  ...require('../../jest.preset.js'),
  moduleNameMapper: {
    '^@kineo/testkit$': '<rootDir>/../testkit/src',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
};
