import { createHash, randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { createBullBoard } from '@bull-board/api';
import type * as BullMqAdapterModule from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter as BullBoardFastifyAdapter } from '@bull-board/fastify';
import { Inject, Injectable } from '@nestjs/common';
import { AuthError, AuthService, OPS_ROLE, type Principal } from '@kineo/auth';
import type { Settings } from '@kineo/config';
import { QUEUES, type JobQueues } from '@kineo/jobs';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import { cookieOf, servedOverHttps } from '../../engine/auth/cookie.util';
import { SETTINGS } from '../../engine/config/settings.module';
import { InjectJobQueues } from '../../engine/queue/queue.module';
import { InjectRedis } from '../../engine/redis/redis.module';

export const QUEUE_BOARD_PATH = '/ops/queues';
export const QUEUE_BOARD_COOKIE = 'kineo_ops_queues';
/** How long the board's cookie lets a browser in (never past the session it came from). */
export const QUEUE_BOARD_COOKIE_SECONDS = 15 * 60;

const cookieKey = (value: string) => `kineo:ops-queues:${createHash('sha256').update(value).digest('hex')}`;

/**
 * The BullMQ queues in bull-board, for Kineo ops only: each queue's jobs (every job carries its
 * tenant id), failures with their stack, retries, and the buttons to retry or remove them.
 *
 * A browser cannot put a bearer token on a page load, so besides `Authorization: Bearer` (the
 * portal's proxy, curl) the board takes a cookie: `POST /ops/queues/session` with an ops bearer
 * token sets an HttpOnly, SameSite=Strict cookie scoped to /ops/queues, good for 15 minutes. Redis
 * holds only its hash, mapped to the session token, which is verified again on every request, so
 * signing out or losing the ops role closes the board at once.
 */
@Injectable()
export class QueueBoard {
  private boardHasQueues = false;

  constructor(
    private readonly auth: AuthService,
    @InjectJobQueues() private readonly queues: JobQueues,
    @InjectRedis() private readonly redis: Redis,
    @Inject(SETTINGS) private readonly settings: Settings,
  ) {}

  async install(fastify: FastifyInstance): Promise<void> {
    const board = new BullBoardFastifyAdapter();
    // The routes must exist before the server listens, the queues need not: BullMQ (about 4 MiB of
    // heap, which nothing else in a gateway that only answers dashboards loads) is required when
    // the first ops request reaches the board.
    const { replaceQueues } = createBullBoard({ queues: [], serverAdapter: board, options: { uiConfig: { boardTitle: 'Kineo queues' } } });
    board.setBasePath(QUEUE_BOARD_PATH);
    await fastify.register(
      async (scope) => {
        scope.addHook('onRequest', async (request, reply) => {
          const refusal = await this.refusal(request);
          if (refusal) {
            await reply.status(refusal.code === 'FORBIDDEN' ? 403 : 401).send({ code: refusal.code, message: refusal.message });
            return;
          }
          if (!this.boardHasQueues) {
            const { BullMQAdapter } = createRequire(__filename)('@bull-board/api/bullMQAdapter') as typeof BullMqAdapterModule;
            replaceQueues(QUEUES.map((name) => new BullMQAdapter(this.queues.queue(name))));
            this.boardHasQueues = true;
          }
        });
        scope.post('/session', (request, reply) => this.openSession(request, reply));
        await scope.register(board.registerPlugin());
      },
      { prefix: QUEUE_BOARD_PATH },
    );
  }

  /** Why this request may not see the board, or undefined when it may. */
  private async refusal(request: FastifyRequest): Promise<AuthError | undefined> {
    let principal: Principal | undefined;
    try {
      principal = await this.principalOf(request);
    } catch (error) {
      return error instanceof AuthError ? error : new AuthError('UNAUTHENTICATED', 'Your session could not be verified; sign in again.');
    }
    if (!principal) {
      return new AuthError('UNAUTHENTICATED', `The queues screen needs a Kineo ops session: send "Authorization: Bearer <token>", or POST ${QUEUE_BOARD_PATH}/session with it for a cookie.`);
    }
    if (principal.role !== OPS_ROLE) return new AuthError('FORBIDDEN', `The queues screen is for Kineo ops; you are ${principal.role}.`);
    return undefined;
  }

  private async principalOf(request: FastifyRequest): Promise<Principal | undefined> {
    const fromHeader = request.kineoAuth;
    if (fromHeader?.error) throw fromHeader.error;
    if (fromHeader?.principal) return fromHeader.principal;
    const cookie = cookieOf(request, QUEUE_BOARD_COOKIE);
    if (!cookie) return undefined;
    const token = await this.redis.get(cookieKey(cookie));
    if (!token) throw new AuthError('UNAUTHENTICATED', `The queues screen's cookie has expired; POST ${QUEUE_BOARD_PATH}/session again.`);
    return this.auth.verify(token);
  }

  /** Trades the ops bearer token for the board's cookie (a cookie cannot renew itself). */
  private async openSession(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const header = request.headers.authorization;
    const principal = request.kineoAuth?.principal;
    if (!header || !principal) {
      await reply.status(401).send({ code: 'UNAUTHENTICATED', message: 'Send the ops session as "Authorization: Bearer <token>" to open the queues screen.' });
      return;
    }
    const seconds = Math.min(QUEUE_BOARD_COOKIE_SECONDS, Math.floor((principal.expiresAt.getTime() - Date.now()) / 1000));
    const value = randomBytes(32).toString('base64url');
    await this.redis.set(cookieKey(value), header.replace(/^Bearer +/, ''), 'EX', Math.max(seconds, 1));
    const secure = servedOverHttps(this.settings, request) ? '; Secure' : '';
    await reply
      .header('set-cookie', `${QUEUE_BOARD_COOKIE}=${value}; Path=${QUEUE_BOARD_PATH}; Max-Age=${seconds}; HttpOnly; SameSite=Strict${secure}`)
      .send({ url: `${QUEUE_BOARD_PATH}/`, expiresAt: new Date(Date.now() + seconds * 1000).toISOString() });
  }
}
