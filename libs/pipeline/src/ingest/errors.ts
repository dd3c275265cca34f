export interface LoadProblem {
  file: string;
  problem: string;
  expectedColumns?: readonly string[];
}

/** A load refused as a whole: nothing was written and nothing published changes. */
export class LoadRejectedError extends Error {
  readonly code = 'LOAD_REJECTED';
  constructor(readonly problems: LoadProblem[]) {
    super(
      `The load was rejected and nothing was changed:\n` +
        problems
          .map((p) => `  ${p.file}: ${p.problem}${p.expectedColumns ? `\n    expected columns: ${p.expectedColumns.join(', ')}` : ''}`)
          .join('\n'),
    );
    this.name = 'LoadRejectedError';
  }
}
