/** Placeholders shaped like the tiles, so the page does not jump when the answer arrives. */
export function DashboardSkeleton() {
  return (
    <div className="tiles" aria-busy="true">
      {[0, 1, 2, 3].map((i) => (
        <section key={i} className="tile skeleton">
          <div className="skeleton-line wide" />
          <div className="skeleton-block" />
        </section>
      ))}
      <p className="visually-hidden" role="status">
        Loading…
      </p>
    </div>
  );
}
