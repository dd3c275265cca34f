'use client';

import { useId, useState } from 'react';
import { narrowingText, ORGANISATIONS_NARROWED_FROM, useOrganisations } from '@/app/_client/organisations';

/**
 * Checkboxes of the organisations a viewer may see; each one brings everything below it. A long
 * hierarchy (past 100 organisations) is narrowed as you type: the organisations whose name holds
 * the text, and those already ticked, so what is granted stays in sight.
 */
export function OrganisationPicker({ selected, onChange }: { selected: number[]; onChange: (ids: number[]) => void }) {
  const organisations = useOrganisations();
  const legendId = useId();
  const findId = useId();
  const [typed, setTyped] = useState('');
  if (organisations.isPending) return <p className="muted">Loading the organisations…</p>;
  if (organisations.error || !organisations.data?.length) {
    return <p className="hint">No organisations to choose from yet: they come from the published data. Load an export first.</p>;
  }
  const all = organisations.data;
  const needle = narrowingText(all.length, typed);
  const shown = needle ? all.filter((o) => selected.includes(o.id) || o.name.toLowerCase().includes(needle)) : all;
  return (
    <fieldset className="org-picker" aria-describedby={legendId}>
      <legend>Organisations this viewer sees</legend>
      <p id={legendId} className="hint">
        Each organisation includes everything below it.
      </p>
      {all.length > ORGANISATIONS_NARROWED_FROM ? (
        <div className="field">
          <label htmlFor={findId}>Find an organisation</label>
          <input id={findId} type="search" value={typed} onChange={(e) => setTyped(e.target.value)} placeholder="Type part of a name…" autoComplete="off" />
          <p className="hint value-search-note" aria-live="polite">
            {needle ? `${shown.length.toLocaleString()} of ${all.length.toLocaleString()} shown (the ticked ones always).` : `${all.length.toLocaleString()} organisations.`}
          </p>
        </div>
      ) : null}
      <div className="org-list">
        {shown.map((o) => (
          <label key={o.id} className="check" style={{ paddingLeft: `${(needle ? 0 : o.depth - 1) * 1.25}rem` }}>
            <input
              type="checkbox"
              checked={selected.includes(o.id)}
              onChange={(event) => onChange(event.target.checked ? [...selected, o.id] : selected.filter((id) => id !== o.id))}
            />
            {o.name}
          </label>
        ))}
      </div>
    </fieldset>
  );
}
