import { assertPasswordPolicy, hashPassword, passwordProblem, verifyPassword } from '../src';

describe('passwords', () => {
  it('are stored as argon2id hashes that verify the right password and no other', async () => {
    const stored = await hashPassword('correct horse battery staple');

    expect(stored).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(stored).not.toContain('correct horse');
    await expect(verifyPassword(stored, 'correct horse battery staple')).resolves.toBe(true);
    await expect(verifyPassword(stored, 'correct horse battery stapl')).resolves.toBe(false);
  });

  it('hash the same password differently each time (salted)', async () => {
    const [a, b] = await Promise.all([hashPassword('the same long password'), hashPassword('the same long password')]);
    expect(a).not.toBe(b);
  });

  it('never verify against a stored value that is not a hash', async () => {
    await expect(verifyPassword('not-a-hash', 'whatever password')).resolves.toBe(false);
  });

  it.each([
    ['11 characters', 'abcdefghijk', /is 11 characters long; use at least 12/],
    ['only spaces', ' '.repeat(14), /is only spaces/],
    ['one repeated character', 'a'.repeat(16), /repeats a single character/],
    ['300 characters', 'ab'.repeat(150), /use at most 256/],
  ])('with %s are refused, saying why', async (_case, password, reason) => {
    expect(() => assertPasswordPolicy(password)).toThrow(reason);
    await expect(hashPassword(password)).rejects.toMatchObject({ code: 'PASSWORD_WEAK', message: expect.stringMatching(/^The password is too weak: it /) });
  });

  it('of 12 characters or more are accepted, counting characters rather than bytes', () => {
    expect(passwordProblem('twelve chars')).toBeUndefined();
    expect(passwordProblem('ééééééééééé')).toMatch(/11 characters/);
  });
});
