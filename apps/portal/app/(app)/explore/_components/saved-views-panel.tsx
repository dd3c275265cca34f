'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { useEffect, useState, type FormEvent } from 'react';
import { focusById } from '@/app/_client/focus.util';
import { OperationError, runOperation } from '@/app/_client/graphql-client';
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
  // A save the session ended under comes back filled in once signed in again (the query is in the
  // URL); read after the first render, which the server made without the browser's storage.
  const [pending, setPending] = useState<PendingSave | undefined>(undefined);
  const here = exploreHref(state);
  useEffect(() => {
    const found = takePendingSave(here);
    if (!found) return;
    setPending(found);
    setName(found.name);
    setShared(found.shared);
    // Once, on arrival: later changes of the query are not a return from sign-in.
  }, []);
  const [nameProblem, setNameProblem] = useState<string | null>(null);
  // A name the caller already has replaces that view: asked first. A deletion is asked first too.
  const [replacing, setReplacing] = useState<string | null>(null);
  const [deleting, setDeleting] = useState<string | null>(null);
  const refresh = () => queryClient.invalidateQueries({ queryKey: ['saved-views'] });
  const save = useMutation({
    mutationFn: async () => {
      // Kept until the gateway answers: a session that ended sends the page to sign in, and back here.
      notePendingSave({ href: exploreHref(state), name: name.trim(), shared });
      try {
        return await runOperation(SaveViewMutation, { input: { name: name.trim(), query: state.query, chart: state.chart, shared } });
      } catch (error) {
        if (!(error instanceof OperationError) || error.code !== 'UNAUTHENTICATED') clearPendingSave();
        throw error;
      }
    },
    onSuccess: () => {
      clearPendingSave();
      // The next view starts unshared and unnamed: sharing is chosen for each view, never carried over.
      setName('');
      setShared(false);
      setReplacing(null);
      return refresh();
    },
  });
  const remove = useMutation({
    mutationFn: (id: string) => runOperation(DeleteViewMutation, { id }),
    onSuccess: async () => {
      setDeleting(null);
      await refresh();
      // The button pressed is gone with its view: the keyboard goes on from the list's heading, not the page's top.
      focusById('saved-views-heading');
    },
  });
  const cancelDelete = (id: string) => {
    setDeleting(null);
    focusById(`delete-view-${id}`);
  };

  const list = views.data?.savedViews ?? [];
  function submit(event: FormEvent) {
    event.preventDefault();
    const trimmed = name.trim();
    if (!trimmed) {
      setNameProblem('Name the view to save it.');
      return;
    }
    setNameProblem(null);
    if (replacing !== trimmed && list.some((v) => v.mine && v.name === trimmed)) {
      setReplacing(trimmed);
      return;
    }
    save.mutate();
  }
  const replaced = replacing === null ? undefined : list.find((v) => v.mine && v.name === replacing);
  return (
    <section className="tile" aria-labelledby="saved-views-heading">
      <h2 id="saved-views-heading" tabIndex={-1}>
        Saved views
      </h2>
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
      {replaced && replacing === name.trim() ? (
        <div className="notice" role="alert" data-testid="replace-view">
          <p>
            You already have a view named “{replaced.name}”{replaced.shared ? ', shared with your organisation' : ''}. Saving replaces it with this one
            {replaced.shared && !shared ? ', no longer shared' : !replaced.shared && shared ? ', shared with your organisation' : ''}.
          </p>
          <div className="actions-row">
            <button type="button" className="button primary" onClick={() => save.mutate()} disabled={save.isPending}>
              Replace “{replaced.name}”
            </button>
            <button type="button" className="button" onClick={() => setReplacing(null)}>
              Keep it
            </button>
          </div>
        </div>
      ) : null}
      {pending && !save.data ? (
        <p className="notice" role="status" data-testid="pending-save">
          You were signed out before “{pending.name}” was saved, so it was not. It is filled in again: save it now.
        </p>
      ) : null}
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
                {view.mine && deleting !== view.id ? (
                  <button type="button" id={`delete-view-${view.id}`} className="button small" onClick={() => setDeleting(view.id)} aria-label={`Delete view ${view.name}`}>
                    Delete
                  </button>
                ) : null}
                {view.mine && deleting === view.id ? (
                  <span
                    className="confirm-inline"
                    role="group"
                    aria-label={`Delete view ${view.name}?`}
                    onKeyDown={(e) => {
                      if (e.key === 'Escape') cancelDelete(view.id);
                    }}
                  >
                    {view.shared ? 'Delete it for everyone it is shared with?' : 'Delete it?'}{' '}
                    <button type="button" className="button small danger" onClick={() => remove.mutate(view.id)} disabled={remove.isPending} autoFocus>
                      Delete “{view.name}”
                    </button>
                    <button type="button" className="button small" onClick={() => cancelDelete(view.id)}>
                      Cancel
                    </button>
                  </span>
                ) : null}
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}

interface PendingSave {
  href: string;
  name: string;
  shared: boolean;
}

const PENDING_SAVE_KEY = 'kineo.pendingSave';

function notePendingSave(save: PendingSave) {
  try {
    window.sessionStorage.setItem(PENDING_SAVE_KEY, JSON.stringify(save));
  } catch {
    // Storage refused (a private window's quota): the save simply is not remembered.
  }
}

function clearPendingSave() {
  try {
    window.sessionStorage.removeItem(PENDING_SAVE_KEY);
  } catch {
    // As above.
  }
}

/** The save the session ended under, when it was of this very view; taken once. */
function takePendingSave(href: string): PendingSave | undefined {
  if (typeof window === 'undefined') return undefined;
  try {
    const raw = window.sessionStorage.getItem(PENDING_SAVE_KEY);
    if (!raw) return undefined;
    window.sessionStorage.removeItem(PENDING_SAVE_KEY);
    const saved = JSON.parse(raw) as Partial<PendingSave>;
    return saved.href === href && typeof saved.name === 'string' && saved.name ? { href, name: saved.name, shared: saved.shared === true } : undefined;
  } catch {
    return undefined;
  }
}
