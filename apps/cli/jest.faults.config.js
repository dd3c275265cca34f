// The faults suite (npm run test:faults): long scenarios against real processes, outside npm test.
module.exports = { ...require('../../jest.preset.js'), testMatch: ['<rootDir>/faults/**/*.faults.ts'], testTimeout: 600000 };
