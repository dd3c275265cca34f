'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { useState, type FormEvent } from 'react';
import { runOperation } from '@/app/_client/graphql-client';
import type { AnalyticsQueryInput } from '@/generated/browser/graphql';
import { DeleteViewMutation, SavedViewsQuery, SaveViewMutation } from './explore.operations';
import { EXPLORE_CHARTS, exploreHref, type ExploreChart, type ExploreState } from './explore-url.util';

interface SavedViewsPanelProps {
  state: ExploreState;
  canSave: boolean;
}

/** Naming and sharing the view on screen, and the caller's own and the organisation's shared views. */
export function SavedViewsPanel({ state, canSave }: SavedViewsPanelProps) {
  const queryClient = useQueryClient();
  const views = useQuery({ queryKey: ['saved-views'], queryFn: () => runOperation(SavedViewsQuery) });
  const [name, setName] = useState('');
  const [shared, setShared] = useState(false);
  const [nameProblem, setNameProblem] = useState<string | null>(null);
  const refresh = () => queryClient.invalidateQueries({ queryKey: ['saved-views'] });
  const save = useMutation({
    mutationFn: () => runOperation(SaveViewMutation, { input: { name: name.trim(), query: state.query, chart: state.chart, shared } }),
    onSuccess: refresh,
  });
  const remove = useMutation({ mutationFn: (id: string) => runOperation(DeleteViewMutation, { id }), onSuccess: refresh });

  function submit(event: FormEvent) {
    event.preventDefault();
    if (!name.trim()) {
      setNameProblem('Name the view to save it.');
      return;
    }
    setNameProblem(null);
    save.mutate();
  }

  const list = views.data?.savedViews ?? [];
  return (
    <section className="tile" aria-labelledby="saved-views-heading">
      <h2 id="saved-views-heading">Saved views</h2>
      <form className="form-grid" onSubmit={submit} aria-label="Save this view">
        <div className="field">
          <label htmlFor="view-name">View name</label>
          <input
            id="view-name"
            value={name}
            maxLength={100}
            onChange={(e) => setName(e.target.value)}
            aria-invalid={Boolean(nameProblem) || undefined}
            aria-describedby={nameProblem ? 'view-name-error' : undefined}
          />
          {nameProblem ? (
            <span id="view-name-error" className="error-text field-error">
              {nameProblem}
            </span>
          ) : null}
        </div>
        <label className="check actions">
          <input type="checkbox" checked={shared} onChange={(e) => setShared(e.target.checked)} />
          Share with my organisation
        </label>
        <div className="field actions">
          <button type="submit" className="button primary" disabled={!canSave || save.isPending}>
            {save.isPending ? 'Saving…' : 'Save view'}
          </button>
        </div>
      </form>
      {save.data ? (
        <p className="notice" role="status">
          Saved “{save.data.saveView.name}”{save.data.saveView.shared ? ', shared with your organisation' : ''}.
        </p>
      ) : null}
      {save.error || remove.error ? (
        <p className="notice error" role="alert">
          {(save.error ?? remove.error)!.message}
        </p>
      ) : null}
      {views.error ? (
        <p className="notice error" role="alert">
          {views.error.message}
        </p>
      ) : list.length === 0 ? (
        <p className="muted">No saved views yet.</p>
      ) : (
        <ul className="saved-views" aria-label="Saved views">
          {list.map((view) => {
            const chart: ExploreChart = EXPLORE_CHARTS.find((c) => c.kind === view.chart)?.kind ?? 'table';
            return (
              <li key={view.id}>
                <Link href={exploreHref({ query: view.query as AnalyticsQueryInput, chart })}>{view.name}</Link>
                <span className="muted">{view.mine ? (view.shared ? 'yours, shared' : 'yours') : `shared by ${view.ownerName}`}</span>
                {view.mine ? (
                  <button type="button" className="button small" onClick={() => remove.mutate(view.id)} disabled={remove.isPending} aria-label={`Delete view ${view.name}`}>
                    Delete
                  </button>
                ) : null}
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
