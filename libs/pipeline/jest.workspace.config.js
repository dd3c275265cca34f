// The opt-in suite against a real Databricks workspace: `npm run test:databricks` (never `npm test`).
const preset = require('../../jest.preset.js');

module.exports = { ...preset, testMatch: ['<rootDir>/test/workspace/**/*.workspace.ts'], testTimeout: 600000 };
