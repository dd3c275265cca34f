import { anonymousCases } from './anonymous.cases';
import { httpCases } from './http.cases';
import { sweepCases } from './sweep.cases';
import { tenantIsolationCases } from './tenant-isolation.cases';
import { tokenCases } from './tokens.cases';
import { startWorld, stopWorld, type World } from './world';

/**
 * The security suite (`npm run test:security`): each boundary of docs/security.md tried from the
 * outside on one real stack (Postgres, Redis, DuckDB folders) shared by every case file.
 */
describe('security boundaries', () => {
  let world: World | undefined;
  const current = (): World => {
    if (!world) throw new Error('the security stack did not start');
    return world;
  };

  beforeAll(async () => {
    world = await startWorld();
  });
  afterAll(async () => {
    await stopWorld(world);
  });

  tenantIsolationCases(current);
  httpCases(current);
  anonymousCases(current);
  sweepCases(current);
  tokenCases(current);

  // Last: everything above was logged by the suite's gateway.
  it('logged none of the passwords, tokens or connection strings the suite used', () => {
    const { log, secrets } = current();
    expect(log.lines.length).toBeGreaterThan(50);
    const text = log.lines.map((l) => JSON.stringify(l));
    for (const secret of secrets) {
      expect(text.filter((line) => line.includes(secret))).toEqual([]);
    }
  });
});
