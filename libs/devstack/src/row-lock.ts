import { Client } from 'pg';

export interface HeldLock {
  /** Ends the transaction (and its connection), whether or not the server is still there. */
  release(): Promise<void>;
}

/**
 * Runs `lockingSql` (e.g. `select ... for no key update`) in a transaction left open, so a writer
 * waits at exactly the statement that needs the row: a test's way to stop a process at a chosen
 * moment. The lock lasts until `release()` or until the server goes away.
 */
export async function holdLock(databaseUrl: string, lockingSql: string, params: unknown[] = []): Promise<HeldLock> {
  const client = new Client({ connectionString: databaseUrl });
  // The server stopping under the held transaction is what tests do next; nothing to report.
  client.on('error', () => undefined);
  await client.connect();
  await client.query('begin');
  await client.query(lockingSql, params);
  return {
    async release() {
      await client.query('rollback').catch(() => undefined);
      await client.end().catch(() => undefined);
    },
  };
}
