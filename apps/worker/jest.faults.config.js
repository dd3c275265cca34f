// The faults suite (npm run test:faults): Redis coming back empty under real worker processes, each
// scenario waiting out the recovery sweep's grace (tens of seconds); outside npm test.
module.exports = { ...require('../../jest.preset.js'), testMatch: ['<rootDir>/faults/**/*.faults.ts'], testTimeout: 600000 };
