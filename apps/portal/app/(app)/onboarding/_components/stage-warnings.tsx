/**
 * What went wrong in a stage without failing it (e.g. a working table a refresh could not put back).
 * Styled and worded as a warning, not an error: the run still succeeded and its data is published.
 */
export function StageWarnings({ stage, warnings }: { stage: string; warnings: readonly string[] }) {
  if (warnings.length === 0) return null;
  return (
    <ul className="stage-warnings" aria-label={`Warnings of the ${stage} stage`}>
      {warnings.map((warning, i) => (
        <li key={i}>
          <strong>Warning:</strong> {warning}
        </li>
      ))}
    </ul>
  );
}
