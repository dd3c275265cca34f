const { loadSettings } = require('@kineo/config');
(async () => {
    const { createGateway } = require('/work/main/apps/gateway/dist/app.js');
    const settings = loadSettings({ LOG_LEVEL: 'info', NODE_ENV: 'test', REDIS_URL: 'redis://127.0.0.1:1', KINEO_DATA_DIR: '/tmp/gwsmoke' });
    const dest={ write(s){ process.stdout.write('CAPTURED '+s); } };
    const app = await createGateway(settings, { logDestination: dest });
    const fastify = app.getHttpAdapter().getInstance();
    fastify.addHook('preHandler', (req, reply, done) => {
      console.log('PRE', reply.raw.listenerCount('finish'), reply.raw.listenerCount('close'), req.raw.allLogs && req.raw.allLogs.length, reply.raw.allLogs && reply.raw.allLogs.length);
      req.raw.allLogs && req.raw.allLogs[0].info('manual');
      done();
    });
    for (const u of ['/graphql']) {
      const r = await app.inject({ method: 'POST', url: u, payload: JSON.stringify({query:'{ platform { service } }'}), headers: {'content-type':'application/json'} });
      console.log('RESULT', u, r.statusCode);
    }
    const server = await app.listen({port: 0, host: '127.0.0.1'});
    const r = await fetch(`${await app.getUrl()}/health/live`); console.log('REAL', r.status);
    await app.close();
})().catch(e => { console.error(e); process.exit(1); });
