import { createSecretStore, loadSettings } from '@kineo/config';
import type { TestStack } from '@kineo/testkit';
import { createWarehouse } from '@kineo/warehouse';

/**
 * Publishes a tenant's gold as version 1, its tables written by `statements` the way the worker's
 * build leaves them (only the columns a suite reads), without running a load.
 */
export async function publishGold(stack: TestStack, tenant: { id: string; namespace: string }, statements: string[]): Promise<void> {
  const settings = loadSettings(stack.env);
  const warehouse = await createWarehouse(settings, createSecretStore(settings), 'worker');
  const ref = { tenantId: tenant.id, namespace: tenant.namespace };
  try {
    await warehouse.provision(ref);
    for (const statement of statements) await warehouse.execute(ref, statement);
    await warehouse.publish(ref, 1);
  } finally {
    await warehouse.close();
  }
}
