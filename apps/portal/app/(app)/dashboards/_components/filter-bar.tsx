'use client';

import { useQuery } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { runOperation } from '@/app/_client/graphql-client';
import { useOrganisations } from '@/app/_client/organisations';
import type { Reach } from './analytics.types';
import { rowsOf } from './analytics.types';
import { AnalyticsRowsQuery } from './dashboard.operations';
import { INACTIVE_PARAM, REACH_PARAM, TREE_MEMBER } from './dashboard-url.util';

/** Filters with a value list; the boolean and tree-path ones are set another way (or not from here). */
const LISTED = /\.(organisationName|positionName|managerName|department|country|courseName|courseType|status|certificationName|state|rag|programName|scormName|seminarName|source)$/;

const TITLES: Record<string, string> = {
  organisationName: 'Organisation',
  positionName: 'Position',
  managerName: 'Manager',
  department: 'Department',
  country: 'Country',
  courseName: 'Course',
  courseType: 'Course type',
  status: 'Status',
  certificationName: 'Certification',
  state: 'State',
  rag: 'Red, amber, green',
  programName: 'Program',
  scormName: 'SCORM package',
  seminarName: 'Seminar',
  source: 'Source',
};

/** A measure of each cube to group its values by (not every cube has a plain count). */
const COUNTED_BY: Record<string, string> = {
  Scorm: 'Scorm.attempts',
  SeminarSignup: 'SeminarSignup.signups',
  LearningTime: 'LearningTime.hours',
};

function titleOf(member: string): string {
  const name = member.slice(member.indexOf('.') + 1);
  return TITLES[name] ?? name;
}

interface FilterBarProps {
  members: string[];
  params: URLSearchParams;
  reach: Reach;
  showReach: boolean;
  /** One parameter set, or a filter's values (none: the filter is cleared). */
  onChange: (key: string, value: string | readonly string[] | null) => void;
}

/**
 * The dashboard's filters. On a phone they fold behind a "Filters" button that says how many are
 * set, so the figures come first on the screen (globals.css, `.filter-panel`); wider screens show
 * them open and never the button.
 */
export function FilterBar({ members, params, reach, showReach, onChange }: FilterBarProps) {
  const listed = members.filter((m) => LISTED.test(m));
  const [open, setOpen] = useState(false);
  const formId = useId();
  const tree = members.includes(TREE_MEMBER);
  const set =
    [...listed, ...(tree ? [TREE_MEMBER] : [])].filter((m) => params.get(m)).length +
    (params.get(INACTIVE_PARAM) === 'include' ? 1 : 0) +
    (showReach && reach === 'direct' ? 1 : 0);
  return (
    <div className="filter-panel" data-open={open}>
      <button type="button" className="button filters-toggle" aria-expanded={open} aria-controls={formId} onClick={() => setOpen(!open)}>
        {set ? `Filters · ${set} set` : 'Filters'}
      </button>
      <form id={formId} className="filters" aria-label="Filters" onSubmit={(e) => e.preventDefault()}>
        {tree ? <OrganisationTreeSelect chosen={params.getAll(TREE_MEMBER)} onChange={(values) => onChange(TREE_MEMBER, values)} /> : null}
        {listed.map((member) => (
          <FilterSelect key={member} member={member} chosen={params.getAll(member)} reach={reach} onChange={(values) => onChange(member, values)} />
        ))}
        {members.includes('Learner.isActive') ? (
          <label className="check">
            <input type="checkbox" checked={params.get(INACTIVE_PARAM) === 'include'} onChange={(e) => onChange(INACTIVE_PARAM, e.target.checked ? 'include' : null)} />
            Include inactive learners
          </label>
        ) : null}
        {showReach ? (
          <div className="field">
            <label htmlFor="filter-reach">Reports</label>
            <select id="filter-reach" value={reach} onChange={(e) => onChange(REACH_PARAM, e.target.value === 'direct' ? 'direct' : null)}>
              <option value="all">Everyone below me</option>
              <option value="direct">Direct reports only</option>
            </select>
          </div>
        ) : null}
      </form>
    </div>
  );
}

/** One value a filter offers: the code it sends and how it reads. */
export interface MemberValue {
  value: string;
  label: string;
}

/**
 * The values of a text member the caller can see, from the same scope as the dashboard (at most
 * 500, in order), each with its label: what a filter offers to choose from.
 */
export function useMemberValues(member: string, reach: Reach, enabled = true) {
  const cube = member.slice(0, member.indexOf('.'));
  const { data, isPending, isError } = useQuery({
    queryKey: ['filter-values', member, reach],
    queryFn: () =>
      runOperation(AnalyticsRowsQuery, {
        query: { measures: [COUNTED_BY[cube] ?? `${cube}.count`], dimensions: [member], order: [{ member, direction: 'asc' }], limit: 500 },
        reach,
      }),
    staleTime: 5 * 60_000,
    enabled: enabled && member.includes('.'),
  });
  const column = data?.analytics.columns.find((c) => c.member === member);
  const key = column?.key ?? member;
  const codes = [...new Set(rowsOf(data?.analytics.rows).map((r) => r[key]).filter((v): v is string | number => v !== null && v !== ''))].map(String);
  const values: MemberValue[] = codes.map((value) => ({ value, label: column?.values?.find((coded) => coded.value === value)?.label ?? value }));
  return { values, isPending, isError };
}

function FilterSelect({ member, chosen, reach, onChange }: { member: string; chosen: string[]; reach: Reach; onChange: (values: string[]) => void }) {
  // The values a filter offers are the ones the caller can see, from the same scope as the dashboard.
  const { values, isPending, isError } = useMemberValues(member, reach);
  return <ChoiceField id={`filter-${member.replace(/\W/g, '-')}`} label={titleOf(member)} chosen={chosen} choices={values} isPending={isPending} isError={isError} onChange={onChange} />;
}

/**
 * "Organisation and below": an organisation of the hierarchy with everything under it (the
 * Organisation filter beside it takes learners of that one organisation only). Listed in hierarchy
 * order, indented by depth; the value sent is its id as a path segment (`/5/`).
 */
function OrganisationTreeSelect({ chosen, onChange }: { chosen: string[]; onChange: (values: string[]) => void }) {
  const organisations = useOrganisations();
  const choices = (organisations.data ?? []).map((o) => ({ value: `/${o.id}/`, label: o.name, indent: o.depth - 1 }));
  return (
    <ChoiceField
      id="filter-organisation-tree"
      label="Organisation and below"
      chosen={chosen}
      choices={choices}
      isPending={organisations.isPending}
      isError={organisations.isError}
      onChange={onChange}
    />
  );
}

/**
 * One filter: its values chosen so far, each with a button that takes it off, and a list that adds
 * another ("All" while none is chosen). Several values of one filter are any of them; a value from the
 * URL that is not among the choices is kept, shown as it is.
 */
function ChoiceField(props: {
  id: string;
  label: string;
  chosen: string[];
  choices: (MemberValue & { indent?: number })[];
  isPending: boolean;
  isError: boolean;
  onChange: (values: string[]) => void;
}) {
  const { id, label, chosen, choices, isPending, isError, onChange } = props;
  const labelOf = (value: string) => choices.find((c) => c.value === value)?.label ?? value;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <select id={id} value="" onChange={(e) => e.target.value && onChange([...chosen, e.target.value])} aria-busy={isPending || undefined}>
        <option value="">{isError ? 'All (values unavailable)' : chosen.length ? 'Add another…' : 'All'}</option>
        {choices
          .filter((c) => !chosen.includes(c.value))
          .map((c) => (
            <option key={c.value} value={c.value}>
              {`${'\u00a0\u00a0'.repeat(c.indent ?? 0)}${c.label}`}
            </option>
          ))}
      </select>
      {chosen.length ? (
        <ul className="chosen" aria-label={`${label}: chosen`}>
          {chosen.map((value) => (
            <li key={value}>
              {labelOf(value)}
              <button type="button" className="chip-remove" aria-label={`Remove ${labelOf(value)} from ${label}`} onClick={() => onChange(chosen.filter((v) => v !== value))}>
                ×
              </button>
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}
