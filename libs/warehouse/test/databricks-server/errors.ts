/** A failure the way a SQL warehouse words it: `[ERROR_CLASS] message SQLSTATE: xxxxx`. */
export class DatabricksSqlError extends Error {
  constructor(
    message: string,
    readonly sqlState?: string,
  ) {
    super(message);
  }
}

/** Something Databricks does that this stand-in does not: refused rather than imitated loosely. */
export function notEmulated(what: string): DatabricksSqlError {
  return new DatabricksSqlError(`[NOT_EMULATED] The local Databricks stand-in does not implement ${what}.`);
}
