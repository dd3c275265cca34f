/**
 * Codes a worker stores on a failed run (`failure_code` of `ingestion_run` and `build_run`) and
 * the gateway reads back: one definition for both sides of the database.
 */

/** The export contract refused the load (missing file, empty file, wrong header). */
export const LOAD_REJECTED = 'LOAD_REJECTED';

/** A write ran out of disk space (the worker's data folder is full); the previous version keeps serving. */
export const DISK_FULL = 'DISK_FULL';

/** The queue lost the load's flow (Redis lost its data) and the run lacks what starting it again needs. */
export const LOAD_FLOW_LOST = 'LOAD_FLOW_LOST';

/** A tenant operation's run whose worker stopped mid-run; the job's next attempt took it over in a run of its own. */
export const RUN_INTERRUPTED = 'RUN_INTERRUPTED';

/** The organisation was suspended or offboarded between the load's request and its turn on the worker. */
export const TENANT_NOT_ACTIVE = 'TENANT_NOT_ACTIVE';

/** Failures whose stored text was written for the customer; any other failure's text stays with Kineo. */
export const CUSTOMER_FACING_RUN_FAILURES: ReadonlySet<string> = new Set([LOAD_REJECTED, TENANT_NOT_ACTIVE]);
