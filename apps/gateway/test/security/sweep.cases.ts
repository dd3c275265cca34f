import { hashOpaqueToken, sweepExpiredCredentials } from '@kineo/auth';
import { graphql } from '../support/gateway';
import { bearer, codeOf, type World } from './world';

const DAY = 24 * 3600 * 1000;

export function sweepCases(world: () => World): void {
  describe('sweeping expired credentials', () => {
    it('deletes expired refresh tokens, long-dead sessions, expired invitations and spent reset links, and nothing alive', async () => {
      const { prisma, acme } = world();
      const user = await prisma.user.findUniqueOrThrow({ where: { email: 'viewer@acme.test' } });
      const ago = (days: number) => new Date(Date.now() - days * DAY);
      const revokedLongAgo = await prisma.session.create({ data: { userId: user.id, tenantId: acme.id, method: 'password', createdAt: ago(60), revokedAt: ago(40) } });
      const revokedYesterday = await prisma.session.create({ data: { userId: user.id, tenantId: acme.id, method: 'password', createdAt: ago(2), revokedAt: ago(1) } });
      const expiredRefresh = await prisma.refreshToken.create({
        data: { sessionId: revokedYesterday.id, tokenHash: hashOpaqueToken('expired-refresh'), expiresAt: ago(1) },
      });
      const abandoned = await prisma.session.create({ data: { userId: user.id, tenantId: acme.id, method: 'password', createdAt: ago(90) } });
      const expiredInvitation = await prisma.invitation.create({
        data: { tenantId: acme.id, email: 'late@acme.test', role: 'viewer', tokenHash: hashOpaqueToken('late-invitation'), expiresAt: ago(1) },
      });
      const usedReset = await prisma.passwordReset.create({ data: { userId: user.id, tokenHash: hashOpaqueToken('used-reset'), expiresAt: new Date(Date.now() + DAY), usedAt: ago(0) } });
      const liveSessions = await prisma.session.count({ where: { revokedAt: null, refreshTokens: { some: { expiresAt: { gt: new Date() } } } } });
      const pending = await prisma.invitation.findUniqueOrThrow({ where: { id: world().acmeInvitationId } });

      const removed = await sweepExpiredCredentials(prisma);

      expect(removed.sessions).toBeGreaterThanOrEqual(2);
      expect(await prisma.session.findUnique({ where: { id: revokedLongAgo.id } })).toBeNull();
      expect(await prisma.session.findUnique({ where: { id: abandoned.id } })).toBeNull();
      expect(await prisma.session.findUnique({ where: { id: revokedYesterday.id } })).not.toBeNull();
      expect(await prisma.refreshToken.findUnique({ where: { id: expiredRefresh.id } })).toBeNull();
      expect(await prisma.invitation.findUnique({ where: { id: expiredInvitation.id } })).toBeNull();
      expect(await prisma.passwordReset.findUnique({ where: { id: usedReset.id } })).toBeNull();
      expect(await prisma.invitation.findUnique({ where: { id: pending.id } })).not.toBeNull();
      expect(await prisma.session.count({ where: { revokedAt: null, refreshTokens: { some: { expiresAt: { gt: new Date() } } } } })).toBe(liveSessions);
      // Every sign-in of the suite still works.
      expect(codeOf(await graphql(world().app, '{ me { email } }', bearer(world().tokens.globexAdmin)))).toBe('OK');
    });
  });
}
