'use client';

/** The two ends of a range of days as typed ('YYYY-MM-DD', or '' for an end not given yet). */
export interface DayRange {
  from: string;
  to: string;
}

/** Both ends given and the first after the last: such a range is not applied, and says so. */
export const isBackwards = (ends: DayRange) => ends.from !== '' && ends.to !== '' && ends.from > ends.to;

/**
 * From and To date inputs side by side, each bounding the other ('<name> from' and '<name> to' to a
 * screen reader), with what a backwards range says under them: a dashboard period's custom range
 * and Explore's "Between".
 */
export function DayRangeInputs({ name, what, ends, onChange }: { name: string; what: 'period' | 'range'; ends: DayRange; onChange: (end: keyof DayRange, day: string) => void }) {
  return (
    <>
      <div className="period-custom">
        <label>
          From
          <input type="date" value={ends.from} max={ends.to || undefined} aria-label={`${name} from`} onChange={(e) => onChange('from', e.target.value)} />
        </label>
        <label>
          To
          <input type="date" value={ends.to} min={ends.from || undefined} aria-label={`${name} to`} onChange={(e) => onChange('to', e.target.value)} />
        </label>
      </div>
      {isBackwards(ends) ? (
        <p className="field-error" role="alert">
          “From” is after “To”: the {what} is not applied until it ends on or after its first day.
        </p>
      ) : null}
    </>
  );
}
