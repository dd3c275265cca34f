import { DuckDbWarehouse, type TenantNamespace, type WarehouseSession } from '@kineo/warehouse';

/**
 * The real DuckDB warehouse, with a look at each statement a session executes before it runs: a
 * test makes one fail, or does something in the middle of a stage, the way the engine or a person
 * would while a build runs.
 */
export abstract class InterceptingWarehouse extends DuckDbWarehouse {
  /** Called with each statement (trimmed) before it is executed; throwing fails it. */
  protected abstract beforeExecute(sql: string): Promise<void>;

  override session<T>(tenant: TenantNamespace, fn: (session: WarehouseSession) => Promise<T>): Promise<T> {
    return super.session(tenant, (session) =>
      fn({
        execute: async (sql, params, options) => {
          await this.beforeExecute(sql.trim());
          return session.execute(sql, params, options);
        },
        query: (sql, params, options) => session.query(sql, params, options),
      }),
    );
  }
}
