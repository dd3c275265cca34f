import { startTestStack, type TestStack } from '@kineo/testkit';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { startGateway } from './support/gateway';

describe('health', () => {
  let stack: TestStack;
  let app: NestFastifyApplication;

  beforeAll(async () => {
    stack = await startTestStack();
    app = await startGateway(stack);
  });

  afterAll(async () => {
    await app?.close();
    await stack?.stop();
  });

  it('reports postgres, redis and the warehouse up with 200 when all three answer', async () => {
    const response = await app.inject({ method: 'GET', url: '/health' });

    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.status).toBe('ok');
    expect(body.info).toEqual({
      postgres: expect.objectContaining({ status: 'up' }),
      redis: expect.objectContaining({ status: 'up' }),
      warehouse: expect.objectContaining({ status: 'up' }),
    });
    expect(body.error).toEqual({});
  });

  it('answers liveness without consulting any dependency', async () => {
    const response = await app.inject({ method: 'GET', url: '/health/live' });

    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'ok' });
  });

  // Stops this suite's Redis, so it stays last.
  describe('once redis has gone away', () => {
    beforeAll(async () => {
      await stack.redis.stop();
    });

    it('returns 503 naming redis as the component that is down, the others still up', async () => {
      const response = await app.inject({ method: 'GET', url: '/health' });

      expect(response.statusCode).toBe(503);
      const body = response.json();
      expect(body.status).toBe('error');
      expect(Object.keys(body.error)).toEqual(['redis']);
      expect(body.error.redis.status).toBe('down');
      expect(body.info).toEqual({
        postgres: expect.objectContaining({ status: 'up' }),
        warehouse: expect.objectContaining({ status: 'up' }),
      });
      // /health is public: no addresses of the infrastructure in it.
      expect(response.body).not.toContain('127.0.0.1');
      expect(response.body).not.toContain(String(stack.redis.port));
    });

    it('still reports the process alive', async () => {
      const response = await app.inject({ method: 'GET', url: '/health/live' });

      expect(response.statusCode).toBe(200);
    });
  });
});
