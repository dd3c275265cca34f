import { DomainError, LOAD_REJECTED } from '@kineo/errors';

export interface LoadProblem {
  /** The file as it was uploaded; none for a problem of the load as a whole. */
  file?: string;
  problem: string;
  expectedColumns?: readonly string[];
}

/**
 * A load refused as a whole: nothing was written and nothing published changes. The message is
 * written for the customer who sent the files (which file, what is wrong, the expected columns).
 */
export class LoadRejectedError extends DomainError {
  constructor(readonly problems: LoadProblem[]) {
    super(
      LOAD_REJECTED,
      `The load was rejected and nothing was changed:\n` +
        problems
          .map((p) => `  ${p.file ? `${p.file}: ` : ''}${p.problem}${p.expectedColumns ? `\n    expected columns: ${p.expectedColumns.join(', ')}` : ''}`)
          .join('\n'),
    );
  }
}
