const preset = require('../../jest.preset.js');

// Besides NestJS's, @tus/server and srvx (its HTTP adapter, shipped as .mjs) are ESM-only, so Jest
// transforms them too.
module.exports = {
  ...preset,
  transform: { '^.+\\.(t|j|mj)s$': preset.transform['^.+\\.(t|j)s$'] },
  transformIgnorePatterns: ['/node_modules/(?!(?:.*/node_modules/)?(?:@nestjs|@tus|srvx|content-disposition|cookie|@fastify/otel|jose|uuid)/)'],
  moduleFileExtensions: [...preset.moduleFileExtensions, 'mjs'],
};
