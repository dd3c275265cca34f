export { DatabricksWarehouse, type DatabricksAuth, type DatabricksWarehouseOptions } from './databricks.warehouse';
export type { DatabricksIsolation, PrincipalName } from './namespace-layout.util';
export { AZURE_DATABRICKS_SCOPE } from './entra-token.provider';
