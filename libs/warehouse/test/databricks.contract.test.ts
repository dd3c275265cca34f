import { DatabricksWarehouse } from '../src/databricks';
import { warehouseContract } from './contract';
import { startDatabricksTestServer } from './databricks-server';

warehouseContract('databricks (local protocol server, catalog per tenant)', async () => {
  const server = await startDatabricksTestServer();
  const warehouse = new DatabricksWarehouse({
    host: server.host,
    port: server.port,
    path: server.path,
    auth: { kind: 'token', token: server.token },
    customCaCert: server.caCert,
  });
  return { warehouse, cleanup: () => server.close() };
});

warehouseContract('databricks (local protocol server, schemas in a shared catalog)', async () => {
  const server = await startDatabricksTestServer({ catalogs: ['kineo_shared'] });
  const warehouse = new DatabricksWarehouse({
    host: server.host,
    port: server.port,
    path: server.path,
    auth: { kind: 'token', token: server.token },
    customCaCert: server.caCert,
    isolation: { mode: 'schema', catalog: 'kineo_shared' },
  });
  return { warehouse, cleanup: () => server.close() };
});
