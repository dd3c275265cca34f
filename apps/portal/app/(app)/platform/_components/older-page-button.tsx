/** "Older …" under a newest-first list paged by the gateway's cursor; nothing once the last page is shown. */
export function OlderPageButton({
  list,
  label,
}: {
  list: { hasNextPage: boolean; isFetchingNextPage: boolean; fetchNextPage: () => Promise<unknown> };
  label: string;
}) {
  if (!list.hasNextPage) return null;
  return (
    <div className="table-footer">
      <button type="button" className="button small" onClick={() => void list.fetchNextPage()} disabled={list.isFetchingNextPage}>
        {list.isFetchingNextPage ? 'Loading…' : label}
      </button>
    </div>
  );
}
