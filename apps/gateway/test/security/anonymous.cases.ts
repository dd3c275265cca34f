import type { GraphqlReply } from '../support/gateway';
import { codeOf, type World } from './world';

/** One anonymous mutation from one client address. */
async function anonymous(w: World, from: string, query: string, variables: Record<string, unknown>) {
  const response = await w.app.inject({
    method: 'POST',
    url: '/graphql',
    remoteAddress: from,
    headers: { 'content-type': 'application/json' },
    payload: JSON.stringify({ query, variables }),
  });
  return { status: response.statusCode, headers: response.headers, body: response.json() } as GraphqlReply;
}

export function anonymousCases(world: () => World): void {
  describe('anonymous mutations are throttled like sign-in', () => {
    it('requestPasswordReset: 3 mails to one address, then TOO_MANY_ATTEMPTS (an unknown address alike)', async () => {
      for (const email of ['viewer@acme.test', 'nobody-here@acme.test']) {
        const codes: string[] = [];
        for (let i = 0; i < 5; i++) codes.push(codeOf(await anonymous(world(), '198.18.0.1', 'mutation ($e: String!) { requestPasswordReset(email: $e) }', { e: email })));
        expect(codes).toEqual(['OK', 'OK', 'OK', 'TOO_MANY_ATTEMPTS', 'TOO_MANY_ATTEMPTS']);
      }
      const mails = await world().prisma.passwordReset.count({ where: { user: { email: 'viewer@acme.test' } } });
      expect(mails).toBe(3);
    });

    it.each([
      ['acceptInvitation', 'mutation ($t: String!) { acceptInvitation(token: $t, password: "a long enough password 1") { token } }', 'INVITATION_INVALID', '198.18.1.1'],
      ['resetPassword', 'mutation ($t: String!) { resetPassword(token: $t, newPassword: "a long enough password 1") }', 'RESET_TOKEN_INVALID', '198.18.1.2'],
      ['refreshSession', 'mutation ($t: String!) { refreshSession(refreshToken: $t) { token } }', 'UNAUTHENTICATED', '198.18.1.3'],
    ])('%s: 5 wrong tokens, then TOO_MANY_ATTEMPTS with a retry time', async (_name, query, refusal, from) => {
      const token = 'A'.repeat(43);
      const codes: string[] = [];
      for (let i = 0; i < 6; i++) codes.push(codeOf(await anonymous(world(), from, query, { t: token })));
      expect(codes).toEqual([...Array(5).fill(refusal), 'TOO_MANY_ATTEMPTS']);
      const locked = await anonymous(world(), from, query, { t: token });
      expect(locked.body.errors?.[0]?.extensions).toMatchObject({ code: 'TOO_MANY_ATTEMPTS', retryAfterSeconds: 30 });
    });

    it('many different wrong tokens from one address lock that address too', async () => {
      const codes: string[] = [];
      for (let i = 0; i < 21; i++) {
        const reply = await anonymous(world(), '198.18.2.1', 'mutation ($t: String!) { acceptInvitation(token: $t, password: "a long enough password 1") { token } }', { t: `guess-${i}-${'B'.repeat(40)}` });
        codes.push(codeOf(reply));
      }
      expect(codes.slice(0, 20).every((c) => c === 'INVITATION_INVALID')).toBe(true);
      expect(codes[20]).toBe('TOO_MANY_ATTEMPTS');
    });
  });
}
