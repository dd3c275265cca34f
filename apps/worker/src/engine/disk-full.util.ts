import { DISK_FULL, DomainError } from '@kineo/errors';

/** A write ran out of disk: the step changed nothing that readers see, and trying again within seconds cannot help. */
export class DiskFullError extends DomainError<typeof DISK_FULL> {
  constructor(cause: unknown) {
    super(
      DISK_FULL,
      'The disk holding the warehouse is full (no space left on device), so this step could not be written; nothing was published and the ' +
        'previous version keeps serving. Free some space, then run the load again.',
      {},
      { cause },
    );
  }
}

const OUT_OF_SPACE_CODES = new Set(['ENOSPC', 'EDQUOT']);
// How DuckDB and Node word it when the code itself is not carried (DuckDB raises "IO Error: ... No space left on device").
const OUT_OF_SPACE_TEXT = /No space left on device|Disk quota exceeded|\bENOSPC\b|\bEDQUOT\b/i;

/** The error as a DiskFullError when anything in its cause chain says the disk is full; undefined otherwise. */
export function asDiskFull(error: unknown): DiskFullError | undefined {
  if (error instanceof DiskFullError) return error;
  let current: unknown = error;
  for (let depth = 0; current && depth < 8; depth++) {
    const e = current as { code?: unknown; message?: unknown; cause?: unknown };
    if ((typeof e.code === 'string' && OUT_OF_SPACE_CODES.has(e.code)) || (typeof e.message === 'string' && OUT_OF_SPACE_TEXT.test(e.message))) {
      return new DiskFullError(error);
    }
    current = e.cause;
  }
  return undefined;
}

/** For `.catch`: rethrows the error, as a DiskFullError when it is one, so a stage's own record names it. */
export function rethrowDiskFull(error: unknown): never {
  throw asDiskFull(error) ?? error;
}
