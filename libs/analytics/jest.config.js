// The Databricks serving suite builds a tenant through the local Databricks server (about a minute): `npm run test:databricks-serving`.
module.exports = { ...require('../../jest.preset.js'), testPathIgnorePatterns: ['/node_modules/', '/test/analytics-databricks\\.test\\.ts$'] };
