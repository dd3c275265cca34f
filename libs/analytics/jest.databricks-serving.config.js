module.exports = { ...require('../../jest.preset.js'), testMatch: ['<rootDir>/test/analytics-databricks.test.ts'] };
