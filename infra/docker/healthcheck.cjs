// Container HEALTHCHECK for the three images (node is all a slim image is sure to have: no curl).
// gateway: GET /health/live; portal: GET /api/health; worker (no HTTP server): its Redis, where
// the queues are, answers PING. Exits 0 when healthy, 1 otherwise, naming what failed.
'use strict';
const http = require('node:http');

const app = process.argv[2];
const fail = (what) => {
  process.stderr.write(`healthcheck ${app}: ${what}\n`);
  process.exit(1);
};
const timer = setTimeout(() => fail('no answer within 4 s'), 4000);

function get(port, path) {
  http
    .get({ host: '127.0.0.1', port, path }, (res) => {
      res.resume();
      if (res.statusCode !== 200) fail(`GET ${path} answered ${res.statusCode}`);
      clearTimeout(timer);
      process.exit(0);
    })
    .on('error', (err) => fail(`GET ${path}: ${err.message}`));
}

if (app === 'gateway') get(Number(process.env.GATEWAY_PORT || 4000), '/health/live');
else if (app === 'portal') get(Number(process.env.PORT || 3000), '/api/health');
else if (app === 'worker') {
  const Redis = require('ioredis');
  const redis = new Redis(process.env.REDIS_URL, { maxRetriesPerRequest: 1, lazyConnect: true });
  redis
    .connect()
    .then(() => redis.ping())
    .then(() => {
      clearTimeout(timer);
      redis.disconnect();
      process.exit(0);
    })
    .catch((err) => fail(`Redis PING: ${err.message}`));
} else fail('usage: node healthcheck.cjs gateway|worker|portal');
