/** A tenant's or a run's status as a word with a calm colour; the word carries the meaning, not the colour. */
export function StatusBadge({ status }: { status: string }) {
  return <span className={`badge badge-${status}`}>{status}</span>;
}
