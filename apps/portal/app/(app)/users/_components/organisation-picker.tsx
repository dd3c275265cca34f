'use client';

import { useId } from 'react';
import { useOrganisations } from '@/app/_client/organisations';

/** Checkboxes of the organisations a viewer may see; each one brings everything below it. */
export function OrganisationPicker({ selected, onChange }: { selected: number[]; onChange: (ids: number[]) => void }) {
  const organisations = useOrganisations();
  const legendId = useId();
  if (organisations.isPending) return <p className="muted">Loading the organisations…</p>;
  if (organisations.error || !organisations.data?.length) {
    return <p className="hint">No organisations to choose from yet: they come from the published data. Load an export first.</p>;
  }
  return (
    <fieldset className="org-picker" aria-describedby={legendId}>
      <legend>Organisations this viewer sees</legend>
      <p id={legendId} className="hint">
        Each organisation includes everything below it.
      </p>
      <div className="org-list">
        {organisations.data.map((o) => (
          <label key={o.id} className="check" style={{ paddingLeft: `${(o.depth - 1) * 1.25}rem` }}>
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
